package io.steadfast.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import io.steadfast.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A node's pool of permits against a limiter the test plays. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PermitPoolTest {
  /** 20/s: leases of 4. */
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
  private static final RateLimit LIMIT = new RateLimit(20, Duration.ofSeconds(1), 20);

  /** The limiter runs the test plays: the first, and the one that replaces it after its node died. */
  private static final long FIRST = 1;
  private static final long SECOND = 2;

  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void waitersAreServedInTheOrderTheyAskedAsLeasesComeAndNoMoreIsAskedForThanTheyNeed() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref(), () -> 1, Clock.systemUTC()));
    TestProbe<RatePermits.Granted> tasks = testKit.createTestProbe();

    pool.tell(new PermitPool.Acquire(1, tasks.ref()));
    pool.tell(new PermitPool.Acquire(2, tasks.ref()));
    RateLimiter.Lease first = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(1, first.wanted(), "one waiter when it asked");
    first.replyTo().tell(new RateLimiter.Leased(1, 0, FIRST));
    assertEquals(1, tasks.expectMessageClass(RatePermits.Granted.class).attempt());

    RateLimiter.Lease second = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(1, second.wanted());
    second.replyTo().tell(new RateLimiter.Leased(0, 50, FIRST)); // none now: ask again in 50 ms
    tasks.expectNoMessage(Duration.ofMillis(30));
    RateLimiter.Lease third = limiter.expectMessageClass(RateLimiter.Lease.class);
    third.replyTo().tell(new RateLimiter.Leased(1, 0, FIRST));
    assertEquals(2, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    limiter.expectNoMessage(Duration.ofMillis(100));
    assertTrue(held.isEmpty(), "nothing left over");
  }

  @Test
  void aLimiterThatDoesNotAnswerIsAskedAgainAndTheWaiterStillGetsItsPermit() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    // A stopped clock: the local share, served while the limiter is silent, adds nothing here.
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref(), () -> 1, new ManualClock(START)));
    TestProbe<RatePermits.Granted> tasks = testKit.createTestProbe();

    pool.tell(new PermitPool.Acquire(1, tasks.ref()));
    limiter.expectMessageClass(RateLimiter.Lease.class); // its node died: no answer
    RateLimiter.Lease again = limiter.expectMessageClass(RateLimiter.Lease.class,
        PermitPool.ASK_TIMEOUT.plus(PermitPool.RETRY_AFTER_FAILURE).plusSeconds(2));
    again.replyTo().tell(new RateLimiter.Leased(1, 0, FIRST));

    assertEquals(1, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
  }

  @Test
  void aPoolDrainedByTakesFetchesALeaseAheadAndDropsWhatGoesUnusedForASecond() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref(), () -> 1, Clock.systemUTC()));

    pool.tell(PermitPool.Drained.INSTANCE);
    RateLimiter.Lease ahead = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(4, ahead.wanted(), "a lease's worth: a fifth of a second at 20/s");
    ahead.replyTo().tell(new RateLimiter.Leased(4, 0, FIRST));
    io.steadfast.testing.Waiting.waitFor("the lease held").until(() -> held.permits() == 4);
    assertTrue(held.tryTake());

    io.steadfast.testing.Waiting.waitFor("unused permits dropped").atMost(PermitPool.LEASE_TTL.plusSeconds(3))
        .until(held::isEmpty);
    assertFalse(held.tryTake());
  }

  @Test
  void aNodesShareIsTheLimitOverTheMembersNotDownAndSavesUpTwoLeasesAtMost() {
    RateLimit ofThree = PermitPool.share(LIMIT, 3);
    assertEquals(20 / 3.0, ofThree.permitsPerSecond(), 1e-9);
    assertEquals(2, ofThree.leaseSize());
    assertEquals(4, ofThree.burst(), "a silence spent idle saves up two leases at most");
    assertEquals(LIMIT.permitsPerSecond(), PermitPool.share(LIMIT, 1).permitsPerSecond(), 1e-9);
    assertEquals(LIMIT.permitsPerSecond(), PermitPool.share(LIMIT, 0).permitsPerSecond(), 1e-9,
        "a node not yet among the members counts itself");
  }

  @Test
  void aSilentLimiterLeavesThePoolServingItsShareAndNeverMore() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    ManualClock clock = new ManualClock(START);
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref(), () -> 2, clock));
    TestProbe<RatePermits.Granted> tasks = testKit.createTestProbe();

    goSilent(pool, limiter, tasks, 6);
    // Half of 20/s: 10/s. The local bucket started empty, so it holds only what the clock added.
    tasks.expectNoMessage(Duration.ofMillis(100));
    clock.advance(Duration.ofMillis(200));
    assertEquals(1, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    assertEquals(2, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    clock.advance(Duration.ofMillis(100));
    assertEquals(3, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    tasks.expectNoMessage(Duration.ofMillis(300)); // the clock stood still: nothing more is due
    assertTrue(held.isEmpty(), "nothing spare: 3 permits in 300 ms at 10/s, all to waiters");
  }

  @Test
  void aNewLimitersFirstAnswerEndsTheLocalServingAtOnceAndIsOwedNothing() {
    ServingLocally serving = servingLocallyAfterAnAnswerFrom(FIRST);
    TestProbe<RateLimiter.Command> limiter = serving.limiter();
    ManualClock clock = serving.clock();
    TestProbe<RatePermits.Granted> tasks = serving.tasks();

    // Still asking while serving locally: a whole lease, waiters or not.
    RateLimiter.Lease again = limiter.expectMessageClass(RateLimiter.Lease.class,
        PermitPool.ASK_TIMEOUT.plus(PermitPool.RETRY_AFTER_FAILURE).plusSeconds(2));
    assertEquals(4, again.wanted());
    LoggingTestKit.info("answered again").expect(testKit.system(), () -> {
      again.replyTo().tell(new RateLimiter.Leased(1, 0, SECOND)); // its node died: a new run
      return null;
    });
    assertEquals(3, tasks.expectMessageClass(RatePermits.Granted.class).attempt());

    RateLimiter.Lease next = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(3, next.wanted(), "back to asking for what the waiters need");
    clock.advance(Duration.ofSeconds(1)); // would be 10 permits more, were it still serving locally
    tasks.expectNoMessage(Duration.ofMillis(200));
    next.replyTo().tell(new RateLimiter.Leased(3, 0, SECOND));
    assertEquals(4, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    assertEquals(5, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    assertEquals(6, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
  }

  @Test
  void whatWasServedLocallyIsRepaidToALimiterThatWasOnlySlow() {
    ServingLocally serving = servingLocallyAfterAnAnswerFrom(FIRST);
    TestProbe<RateLimiter.Command> limiter = serving.limiter();
    TestProbe<RatePermits.Granted> tasks = serving.tasks();

    // The same limiter answers at last: 2 of its 4 permits repay the 2 served locally.
    RateLimiter.Lease again = limiter.expectMessageClass(RateLimiter.Lease.class,
        PermitPool.ASK_TIMEOUT.plus(PermitPool.RETRY_AFTER_FAILURE).plusSeconds(2));
    again.replyTo().tell(new RateLimiter.Leased(4, 0, FIRST));
    assertEquals(3, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    assertEquals(4, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    RateLimiter.Lease next = limiter.expectMessageClass(RateLimiter.Lease.class);
    tasks.expectNoMessage(Duration.ofMillis(100));
    next.replyTo().tell(new RateLimiter.Leased(2, 0, FIRST));
    assertEquals(5, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    assertEquals(6, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
  }

  /** A pool whose limiter answered once, then went silent while 6 tasks wait. */
  private record ServingLocally(
      TestProbe<RateLimiter.Command> limiter, ManualClock clock, TestProbe<RatePermits.Granted> tasks) {}

  /**
   * The first task is served from the limiter's one answer; then it falls silent, and the pool
   * serves the next two locally, from the 200 ms the clock moved.
   */
  private ServingLocally servingLocallyAfterAnAnswerFrom(long run) {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    ManualClock clock = new ManualClock(START);
    ActorRef<PermitPool.Command> pool =
        testKit.spawn(PermitPool.create(LIMIT, new PermitPool.Held(), limiter.ref(), () -> 2, clock));
    TestProbe<RatePermits.Granted> tasks = testKit.createTestProbe();
    pool.tell(new PermitPool.Acquire(0, tasks.ref()));
    limiter.expectMessageClass(RateLimiter.Lease.class).replyTo().tell(new RateLimiter.Leased(1, 0, run));
    assertEquals(0, tasks.expectMessageClass(RatePermits.Granted.class).attempt());

    goSilent(pool, limiter, tasks, 6);
    clock.advance(Duration.ofMillis(200));
    assertEquals(1, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    assertEquals(2, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    return new ServingLocally(limiter, clock, tasks);
  }

  /**
   * {@code waiters} tasks wait; the limiter never answers their lease, until the pool says it
   * serves locally (the testkit waits for that log line up to its filter leeway, 3 s).
   */
  private void goSilent(
      ActorRef<PermitPool.Command> pool, TestProbe<RateLimiter.Command> limiter, TestProbe<RatePermits.Granted> tasks,
      int waiters) {
    LoggingTestKit.warn("left a lease unanswered").expect(testKit.system(), () -> {
      for (int attempt = 1; attempt <= waiters; attempt++) pool.tell(new PermitPool.Acquire(attempt, tasks.ref()));
      limiter.expectMessageClass(RateLimiter.Lease.class);
      return null;
    });
  }
}
