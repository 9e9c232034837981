package io.steadfast.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

/** Only a refused connection says that a member's process is gone. */
class GoneMemberDowningTest {

  @Test
  void aPortWithNothingListeningRefusesAndAListeningOneAccepts() throws Exception {
    int freed;
    try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      freed = listening.getLocalPort();
      assertEquals(GoneMemberDowning.Answer.ACCEPTED, GoneMemberDowning.probe(member(freed), 1000));
    }
    assertEquals(GoneMemberDowning.Answer.REFUSED, GoneMemberDowning.probe(member(freed), 1000));
  }

  @Test
  void aMemberWithoutHostOrPortIsNoAnswer() {
    assertEquals(GoneMemberDowning.Answer.NO_ANSWER, GoneMemberDowning.probe(new Address("pekko", "steadfast"), 1000));
  }

  private static Address member(int port) {
    return new Address("pekko", "steadfast", "127.0.0.1", port);
  }
}
