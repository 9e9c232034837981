package io.steadfast.membership;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.apache.pekko.actor.Address;

/** Connections to a member's remoting port, as {@link GoneMemberDowning} makes and holds them. */
final class MemberPort {
  private MemberPort() {}

  /** How a connection attempt to a member's remoting port went. */
  enum Answer {
    ACCEPTED,
    REFUSED,
    NO_ANSWER
  }

  /** An attempt's answer and, if it was accepted, the connection, left open. */
  record Attempt(Answer answer, Socket connection) {
    static final Attempt NO_ANSWER = new Attempt(Answer.NO_ANSWER, null);
  }

  static Attempt connect(Address member, int timeoutMs) {
    if (member.getHost().isEmpty() || member.getPort().isEmpty()) return Attempt.NO_ANSWER;
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(member.getHost().get(), (Integer) member.getPort().get()), timeoutMs);
      return new Attempt(Answer.ACCEPTED, socket);
    } catch (ConnectException refused) {
      closeQuietly(socket);
      // "Connection refused" is the one definite answer; a timeout says nothing about the process.
      boolean isRefusal = refused.getMessage() != null && refused.getMessage().contains("refused");
      return isRefusal ? new Attempt(Answer.REFUSED, null) : Attempt.NO_ANSWER;
    } catch (IOException | RuntimeException other) {
      closeQuietly(socket);
      return Attempt.NO_ANSWER;
    }
  }

  /** Blocks until {@code connection} ends; a member never writes to it, and anything read is dropped. */
  static void awaitClose(Socket connection) {
    try (InputStream in = connection.getInputStream()) {
      byte[] ignored = new byte[256];
      while (in.read(ignored) >= 0) {
        // only the end matters
      }
    } catch (IOException ended) {
      // a reset, or this node closed it: ended either way
    }
  }

  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all that was asked
    }
  }
}
