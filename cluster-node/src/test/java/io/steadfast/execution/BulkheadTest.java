package io.steadfast.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BulkheadTest {
  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void grantsUpToItsConcurrencyQueuesUpToItsBoundAndTurnsAwayTheRest() {
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create("t", 2, 2));
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();

    for (int i = 1; i <= 5; i++) bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, replies.ref()));

    assertInstanceOf(Bulkhead.Granted.class, replies.receiveMessage());
    assertInstanceOf(Bulkhead.Granted.class, replies.receiveMessage());
    assertInstanceOf(Bulkhead.Rejected.class, replies.receiveMessage());
    replies.expectNoMessage(Duration.ofMillis(100));
    assertEquals(new Bulkhead.Usage("t", 2, 2, 2, 2), usage(bulkhead));
  }

  @Test
  void aFreedSlotGoesToTheMostUrgentWaiterThenTheOldest() {
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create("t", 1, 10));
    ActorRef<Void> running = holder();
    TestProbe<Bulkhead.Reply> first = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(running, 1, 5, first.ref()));
    first.expectMessage(new Bulkhead.Granted(1));

    TestProbe<Bulkhead.Reply> low = testKit.createTestProbe();
    TestProbe<Bulkhead.Reply> urgentOld = testKit.createTestProbe();
    TestProbe<Bulkhead.Reply> urgentNew = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 1, low.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder(), 2, 9, urgentOld.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder(), 3, 9, urgentNew.ref()));
    usage(bulkhead); // all three queued

    bulkhead.tell(new Bulkhead.Release(running, 1));
    urgentOld.expectMessage(new Bulkhead.Granted(2));
    urgentNew.expectNoMessage(Duration.ofMillis(100));
    low.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aStoppedHolderGivesItsPermitBack() {
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create("t", 1, 10));
    ActorRef<Void> doomed = holder();
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(doomed, 1, 5, replies.ref()));
    replies.expectMessage(new Bulkhead.Granted(1));
    TestProbe<Bulkhead.Reply> waiter = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, waiter.ref()));

    testKit.stop(doomed);

    waiter.expectMessage(new Bulkhead.Granted(1));
  }

  @Test
  void askingAgainForAHeldPermitIsAnsweredWithoutTakingASecondSlot() {
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create("t", 1, 10));
    ActorRef<Void> holder = holder();
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();

    bulkhead.tell(new Bulkhead.Acquire(holder, 1, 5, replies.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder, 1, 5, replies.ref()));

    replies.expectMessage(new Bulkhead.Granted(1));
    replies.expectMessage(new Bulkhead.Granted(1));
    assertEquals(1, usage(bulkhead).inUse());
  }

  @Test
  void itsCountersMirrorItsUsageForReadersThatDoNotAsk() {
    AtomicInteger waiting = new AtomicInteger();
    AtomicInteger inUse = new AtomicInteger();
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create("t", 1, 10, waiting, inUse));
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();
    ActorRef<Void> first = holder();

    bulkhead.tell(new Bulkhead.Acquire(first, 1, 5, replies.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, replies.ref()));
    usage(bulkhead); // both handled
    assertEquals(1, inUse.get());
    assertEquals(1, waiting.get());

    bulkhead.tell(new Bulkhead.Release(first, 1));
    usage(bulkhead);
    assertEquals(1, inUse.get(), "the waiter took the freed slot");
    assertEquals(0, waiting.get());
  }

  private ActorRef<Void> holder() {
    return testKit.spawn(Behaviors.empty());
  }

  private Bulkhead.Usage usage(ActorRef<Bulkhead.Command> bulkhead) {
    TestProbe<Bulkhead.Usage> probe = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.GetUsage(probe.ref()));
    return probe.receiveMessage();
  }
}
