package io.steadfast.execution;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
    BulkheadSlots slots = new BulkheadSlots(2);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(2, slots));
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();

    for (int i = 1; i <= 5; i++) bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, replies.ref()));

    assertInstanceOf(Bulkhead.Granted.class, replies.receiveMessage());
    assertInstanceOf(Bulkhead.Granted.class, replies.receiveMessage());
    assertInstanceOf(Bulkhead.Rejected.class, replies.receiveMessage());
    replies.expectNoMessage(Duration.ofMillis(100));
    assertEquals(2, slots.inUse());
    assertEquals(2, slots.waiting());
  }

  @Test
  void aFreedSlotGoesToTheMostUrgentWaiterThenTheOldest() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
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
    awaitWaiting(slots, 3);

    bulkhead.tell(new Bulkhead.Release(running, 1));
    urgentOld.expectMessage(new Bulkhead.Granted(2));
    urgentNew.expectNoMessage(Duration.ofMillis(100));
    low.expectNoMessage(Duration.ZERO);
  }

  @Test
  void aStoppedHolderGivesItsPermitBack() {
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, new BulkheadSlots(1)));
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
  void aWaiterThatGivesUpOrStopsLeavesTheQueueAndGetsNoSlot() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    ActorRef<Void> running = holder();
    TestProbe<Bulkhead.Reply> first = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(running, 1, 5, first.ref()));
    first.expectMessage(new Bulkhead.Granted(1));

    ActorRef<Void> cancelled = holder();
    ActorRef<Void> doomed = holder();
    TestProbe<Bulkhead.Reply> gaveUp = testKit.createTestProbe();
    TestProbe<Bulkhead.Reply> stopped = testKit.createTestProbe();
    TestProbe<Bulkhead.Reply> patient = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(cancelled, 1, 9, gaveUp.ref()));
    bulkhead.tell(new Bulkhead.Acquire(doomed, 1, 9, stopped.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 1, patient.ref()));
    awaitWaiting(slots, 3);

    bulkhead.tell(new Bulkhead.Release(cancelled, 1)); // e.g. cancelled while it waited
    testKit.stop(doomed);
    awaitWaiting(slots, 1);

    bulkhead.tell(new Bulkhead.Release(running, 1));
    patient.expectMessage(new Bulkhead.Granted(1));
    gaveUp.expectNoMessage(Duration.ZERO);
    stopped.expectNoMessage(Duration.ZERO);
    awaitWaiting(slots, 0);
    assertEquals(1, slots.inUse());
  }

  @Test
  void askingAgainForAHeldPermitIsAnsweredWithoutTakingASecondSlot() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    ActorRef<Void> holder = holder();
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();

    bulkhead.tell(new Bulkhead.Acquire(holder, 1, 5, replies.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder, 1, 5, replies.ref()));

    replies.expectMessage(new Bulkhead.Granted(1));
    replies.expectMessage(new Bulkhead.Granted(1));
    assertEquals(1, slots.inUse());
  }

  @Test
  void itsCountersMirrorItsUsageForReadersThatDoNotAsk() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();
    ActorRef<Void> first = holder();

    bulkhead.tell(new Bulkhead.Acquire(first, 1, 5, replies.ref()));
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, replies.ref()));
    replies.expectMessage(new Bulkhead.Granted(1));
    awaitWaiting(slots, 1);
    assertEquals(1, slots.inUse());

    bulkhead.tell(new Bulkhead.Release(first, 1));
    replies.expectMessage(new Bulkhead.Granted(1));
    awaitWaiting(slots, 0);
    assertEquals(1, slots.inUse(), "the waiter took the freed slot");
  }

  // ---------------------------------------------------------------- fast starts (a slot taken without asking)

  @Test
  void aFastGrantCountsAgainstTheConcurrencyBeforeAndAfterTheActorAdoptsIt() {
    BulkheadSlots slots = new BulkheadSlots(2);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();

    assertTrue(slots.tryTakeUnqueued());
    assertEquals(1, slots.inUse(), "counted before the actor hears of it");
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, replies.ref())); // reaches the actor before the adopt
    bulkhead.tell(new Bulkhead.Adopt(holder(), 1));
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, replies.ref()));

    replies.expectMessage(new Bulkhead.Granted(1));
    awaitWaiting(slots, 1);
    replies.expectNoMessage(Duration.ZERO);
    assertEquals(2, slots.inUse());
    assertFalse(slots.tryTakeUnqueued(), "full");
  }

  @Test
  void releasingAFastGrantedPermitHandsItsSlotToTheNextWaiter() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    ActorRef<Void> fast = fastStarted(slots, bulkhead);
    TestProbe<Bulkhead.Reply> waiter = testKit.createTestProbe();
    bulkhead.tell(new Bulkhead.Acquire(holder(), 1, 5, waiter.ref()));
    awaitWaiting(slots, 1);

    bulkhead.tell(new Bulkhead.Release(fast, 1));

    waiter.expectMessage(new Bulkhead.Granted(1));
    awaitWaiting(slots, 0);
    assertEquals(1, slots.inUse());
  }

  @Test
  void releasingTheLastPermitFreesItsSlotForTheNextFastGrant() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    ActorRef<Void> fast = fastStarted(slots, bulkhead);

    bulkhead.tell(new Bulkhead.Release(fast, 1));

    awaitInUse(slots, 0);
    assertTrue(slots.tryTakeUnqueued());
  }

  @Test
  void aFastGrantedHolderThatStopsGivesItsSlotBack() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    ActorRef<Void> doomed = fastStarted(slots, bulkhead);
    TestProbe<Bulkhead.Reply> waiter = testKit.createTestProbe();
    ActorRef<Void> waiting = holder();
    bulkhead.tell(new Bulkhead.Acquire(waiting, 1, 5, waiter.ref()));

    testKit.stop(doomed);

    waiter.expectMessage(new Bulkhead.Granted(1));
    bulkhead.tell(new Bulkhead.Release(waiting, 1));
    awaitInUse(slots, 0); // no slot leaked
  }

  @Test
  void aHolderThatStopsBeforeItsAdoptArrivesGivesItsSlotBack() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    ActorRef<Void> doomed = holder();
    assertTrue(slots.tryTakeUnqueued());
    testKit.stop(doomed);

    bulkhead.tell(new Bulkhead.Adopt(doomed, 1));

    awaitInUse(slots, 0);
  }

  @Test
  void noFastGrantWhileAnAttemptWaits() {
    BulkheadSlots slots = new BulkheadSlots(1);
    ActorRef<Bulkhead.Command> bulkhead = testKit.spawn(Bulkhead.create(10, slots));
    TestProbe<Bulkhead.Reply> replies = testKit.createTestProbe();
    ActorRef<Void> running = holder();
    ActorRef<Void> waiting = holder();
    bulkhead.tell(new Bulkhead.Acquire(running, 1, 5, replies.ref()));
    bulkhead.tell(new Bulkhead.Acquire(waiting, 1, 5, replies.ref()));
    replies.expectMessage(new Bulkhead.Granted(1));
    awaitWaiting(slots, 1);
    assertFalse(slots.tryTakeUnqueued());

    bulkhead.tell(new Bulkhead.Release(running, 1));
    replies.expectMessage(new Bulkhead.Granted(1)); // the waiter's
    assertFalse(slots.tryTakeUnqueued(), "the freed slot went to the waiter, not to a newcomer");

    bulkhead.tell(new Bulkhead.Release(waiting, 1));
    awaitInUse(slots, 0);
    assertTrue(slots.tryTakeUnqueued(), "free once nobody waits");
  }

  @Test
  void fastGrantsRacingFromManyThreadsNeverExceedTheConcurrency() throws Exception {
    BulkheadSlots slots = new BulkheadSlots(3);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> takes = new ArrayList<>();
      for (int i = 0; i < 200; i++) takes.add(threads.submit(slots::tryTakeUnqueued));
      int taken = 0;
      for (Future<Boolean> take : takes) if (take.get()) taken++;
      assertEquals(3, taken);
      assertEquals(3, slots.inUse());
    } finally {
      threads.shutdownNow();
    }
  }

  private void awaitInUse(BulkheadSlots slots, int expected) {
    waitFor("slots in use").until(slots::inUse, inUse -> inUse == expected);
  }

  private void awaitWaiting(BulkheadSlots slots, int expected) {
    waitFor("attempts waiting").until(slots::waiting, waiting -> waiting == expected);
  }

  /** A holder that took a slot without asking, as a new task's fast start does, and told the actor. */
  private ActorRef<Void> fastStarted(BulkheadSlots slots, ActorRef<Bulkhead.Command> bulkhead) {
    ActorRef<Void> holder = holder();
    assertTrue(slots.tryTakeUnqueued());
    bulkhead.tell(new Bulkhead.Adopt(holder, 1));
    return holder;
  }

  private ActorRef<Void> holder() {
    return testKit.spawn(Behaviors.empty());
  }
}
