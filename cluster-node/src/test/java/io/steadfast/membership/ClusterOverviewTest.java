package io.steadfast.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.api.ClusterView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in one JVM, each with its overview: either sees both members with the load each
 * reports (asked across remoting), which one it is, and, once the other has left, that it was
 * removed.
 */
class ClusterOverviewTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Config NODE = ConfigFactory.parseString(
      """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
      pekko.actor.serialization-bindings { "io.steadfast.protocol.CborSerializable" = jackson-cbor }
      pekko.coordinated-shutdown.exit-jvm = off
      pekko.cluster.jmx.enabled = off
      """);

  private final ActorTestKit first = ActorTestKit.create("steadfast", NODE);
  private final ActorTestKit second = ActorTestKit.create("steadfast", NODE);

  @AfterEach
  void shutdown() {
    second.shutdownTestKit();
    first.shutdownTestKit();
  }

  private static ClusterView.NodeLoad running(int attempts) {
    return new ClusterView.NodeLoad(attempts, Map.of("noop", new ClusterView.Bulkhead(16, attempts, 0)));
  }

  private static String name(ActorTestKit node) {
    return ClusterOverview.nodeName(Cluster.get(node.system()).selfMember().address());
  }

  @Test
  void eachMemberShowsWithItsOwnLoadAndALeavingOneAsRemoved() {
    ClusterOverview overview = ClusterOverview.start(first.system(), () -> running(3), Duration.ofSeconds(3));
    ClusterOverview.start(second.system(), () -> running(5), Duration.ofSeconds(3));
    Cluster.get(first.system()).manager().tell(new Join(Cluster.get(first.system()).selfMember().address()));
    Cluster.get(second.system()).manager().tell(new Join(Cluster.get(first.system()).selfMember().address()));

    first.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(200), () -> {
      ClusterView view = overview.view().toCompletableFuture().join();
      assertEquals(name(first), view.node());
      assertEquals(2, view.members().size(), view.toString());
      ClusterView.Member self = view.members().get(0);
      ClusterView.Member other = view.members().get(1);
      assertEquals(name(first), self.node(), "oldest first");
      assertTrue(self.self() && self.oldest());
      // The leader is the Up member with the lowest address, whichever joined first.
      assertEquals(List.of(view.leader()),
          view.members().stream().filter(ClusterView.Member::leader).map(ClusterView.Member::node).toList());
      assertEquals(name(second), other.node());
      assertFalse(other.self() || other.oldest());
      assertEquals(List.of("up", "up"), view.members().stream().map(ClusterView.Member::status).toList());
      assertTrue(self.reachable() && other.reachable());
      assertNotNull(other.load(), "the second node's load, asked across remoting");
      assertEquals(3, self.load().runningAttempts());
      assertEquals(5, other.load().runningAttempts());
      assertEquals(new ClusterView.Bulkhead(16, 5, 0), other.load().bulkheads().get("noop"));
      assertTrue(hasChange(view, name(second), "up"), view.recentChanges().toString());
      return null;
    });

    String leaving = name(second);
    Cluster.get(second.system()).manager().tell(
        org.apache.pekko.cluster.typed.Leave.create(Cluster.get(second.system()).selfMember().address()));
    first.createTestProbe().awaitAssert(WAIT, Duration.ofMillis(200), () -> {
      ClusterView view = overview.view().toCompletableFuture().join();
      assertEquals(1, view.members().size(), view.toString());
      assertTrue(hasChange(view, leaving, "removed"), view.recentChanges().toString());
      assertEquals("removed", view.recentChanges().get(0).change(), "newest first");
      return null;
    });
  }

  private static boolean hasChange(ClusterView view, String node, String change) {
    return view.recentChanges().stream().anyMatch(c -> c.node().equals(node) && c.change().equals(change));
  }
}
