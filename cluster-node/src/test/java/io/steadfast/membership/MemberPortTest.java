package io.steadfast.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

/** Only a refused connection says that a member's process is gone; an accepted one is held until it ends. */
class MemberPortTest {

  @Test
  void aPortWithNothingListeningRefusesAndAListeningOneAcceptsAndStaysOpen() throws Exception {
    int freed;
    try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      freed = listening.getLocalPort();
      MemberPort.Attempt accepted = MemberPort.connect(member(freed), 1000);
      assertEquals(MemberPort.Answer.ACCEPTED, accepted.answer());
      try (Socket held = accepted.connection()) {
        assertTrue(held.isConnected() && !held.isClosed(), "the accepted connection is left open");
      }
    }
    MemberPort.Attempt refused = MemberPort.connect(member(freed), 1000);
    assertEquals(MemberPort.Answer.REFUSED, refused.answer());
    assertNull(refused.connection());
  }

  @Test
  void aHeldConnectionEndsOnlyWhenTheMembersEndCloses() throws Exception {
    try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      MemberPort.Attempt accepted = MemberPort.connect(member(listening.getLocalPort()), 1000);
      Socket membersEnd = listening.accept();
      CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> MemberPort.awaitClose(accepted.connection()));
      membersEnd.getOutputStream().write(new byte[] {1, 2, 3});
      assertFalse(endsSoon(ended), "bytes from the member do not end the watch");
      membersEnd.close(); // what the member's kernel does when its process dies
      ended.get(10, TimeUnit.SECONDS);
      accepted.connection().close();
    }
  }

  @Test
  void aMemberWithoutHostOrPortIsNoAnswer() {
    assertEquals(
        MemberPort.Answer.NO_ANSWER,
        MemberPort.connect(new Address("pekko", "steadfast"), 1000).answer());
  }

  /** True if the watch ends within a short grace: a wrong end shows there; a right watch never ends. */
  private static boolean endsSoon(CompletableFuture<Void> watch) {
    try {
      watch.get(300, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException stillWatching) {
      return false;
    } catch (Exception other) {
      return true;
    }
  }

  private static Address member(int port) {
    return new Address("pekko", "steadfast", "127.0.0.1", port);
  }
}
