package io.steadfast.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.steadfast.protocol.api.ClusterView;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The other members' waiting attempts as they last said: the least of them, while fresh; asked
 * only while this node is busy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerLoadsTest {
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private final ActorTestKit testKit = ActorTestKit.create();
  private final ActorRef<NodeLoadReporter.Get> memberA = testKit.<NodeLoadReporter.Get>createTestProbe().ref();
  private final ActorRef<NodeLoadReporter.Get> memberB = testKit.<NodeLoadReporter.Get>createTestProbe().ref();
  private final AtomicLong nanos = new AtomicLong();
  private final PeerLoads loads = new PeerLoads(INTERVAL, nanos::get);

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void theLeastWaitingOfAnyMemberThatSaidCountsAndAMemberWithoutTheTypeHasNoneWaiting() {
    assertEquals(OptionalInt.empty(), loads.leastWaiting("noop"), "nobody said yet");

    loads.reported(memberA, load("noop", 40));
    loads.reported(memberB, load("noop", 25));
    assertEquals(OptionalInt.of(25), loads.leastWaiting("noop"));

    loads.reported(memberB, load("sleep", 7));
    assertEquals(OptionalInt.of(0), loads.leastWaiting("noop"), "B has no noop bulkhead: nothing of it waits there");
  }

  @Test
  void aReportOlderThanThreeIntervalsAndAMemberThatLeftCountForNothing() {
    loads.reported(memberA, load("noop", 10));
    nanos.addAndGet(INTERVAL.toNanos());
    loads.reported(memberB, load("noop", 25));

    nanos.addAndGet(INTERVAL.toNanos() * (PeerLoads.STALE_AFTER_INTERVALS - 1));
    assertEquals(OptionalInt.of(10), loads.leastWaiting("noop"), "A's report is three intervals old");
    nanos.addAndGet(1);
    assertEquals(OptionalInt.of(25), loads.leastWaiting("noop"), "A's report is older: only B's counts");

    loads.retain(Set.of(memberA));
    assertEquals(OptionalInt.empty(), loads.leastWaiting("noop"), "B left, and A's report is stale");
  }

  @Test
  void anIdleNodeAsksNothingAndABusyOneAsksEveryOtherMemberEachInterval() {
    TestProbe<NodeLoadReporter.Get> member = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(NodeLoadReporter.KEY, member.ref()));
    AtomicBoolean busy = new AtomicBoolean();
    PeerLoads started = PeerLoads.start(testKit.system(), Duration.ofMillis(100), busy::get, reporter -> true);

    member.expectNoMessage(Duration.ofMillis(500));
    busy.set(true);
    member.expectMessageClass(NodeLoadReporter.Get.class, Duration.ofSeconds(5)).replyTo().tell(load("noop", 7));
    member.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(OptionalInt.of(7), started.leastWaiting("noop"));
      return null;
    });
  }

  private static ClusterView.NodeLoad load(String type, int waiting) {
    return new ClusterView.NodeLoad(0, Map.of(type, new ClusterView.Bulkhead(16, 16, waiting)));
  }
}
