package io.steadfast.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A node's pool of permits against a limiter the test plays. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PermitPoolTest {
  /** 20/s: leases of 4. */
  private static final RateLimit LIMIT = new RateLimit(20, Duration.ofSeconds(1), 20);

  private final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void waitersAreServedInTheOrderTheyAskedAsLeasesComeAndNoMoreIsAskedForThanTheyNeed() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref()));
    TestProbe<RatePermits.Granted> tasks = testKit.createTestProbe();

    pool.tell(new PermitPool.Acquire(1, tasks.ref()));
    pool.tell(new PermitPool.Acquire(2, tasks.ref()));
    RateLimiter.Lease first = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(1, first.wanted(), "one waiter when it asked");
    first.replyTo().tell(new RateLimiter.Leased(1, 0));
    assertEquals(1, tasks.expectMessageClass(RatePermits.Granted.class).attempt());

    RateLimiter.Lease second = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(1, second.wanted());
    second.replyTo().tell(new RateLimiter.Leased(0, 50)); // none now: ask again in 50 ms
    tasks.expectNoMessage(Duration.ofMillis(30));
    RateLimiter.Lease third = limiter.expectMessageClass(RateLimiter.Lease.class);
    third.replyTo().tell(new RateLimiter.Leased(1, 0));
    assertEquals(2, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
    limiter.expectNoMessage(Duration.ofMillis(100));
    assertTrue(held.isEmpty(), "nothing left over");
  }

  @Test
  void aLimiterThatDoesNotAnswerIsAskedAgainAndTheWaiterStillGetsItsPermit() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref()));
    TestProbe<RatePermits.Granted> tasks = testKit.createTestProbe();

    pool.tell(new PermitPool.Acquire(1, tasks.ref()));
    limiter.expectMessageClass(RateLimiter.Lease.class); // its node died: no answer
    RateLimiter.Lease again = limiter.expectMessageClass(RateLimiter.Lease.class,
        PermitPool.ASK_TIMEOUT.plus(PermitPool.RETRY_AFTER_FAILURE).plusSeconds(2));
    again.replyTo().tell(new RateLimiter.Leased(1, 0));

    assertEquals(1, tasks.expectMessageClass(RatePermits.Granted.class).attempt());
  }

  @Test
  void aPoolDrainedByTakesFetchesALeaseAheadAndDropsWhatGoesUnusedForASecond() {
    TestProbe<RateLimiter.Command> limiter = testKit.createTestProbe();
    PermitPool.Held held = new PermitPool.Held();
    ActorRef<PermitPool.Command> pool = testKit.spawn(PermitPool.create(LIMIT, held, limiter.ref()));

    pool.tell(PermitPool.Drained.INSTANCE);
    RateLimiter.Lease ahead = limiter.expectMessageClass(RateLimiter.Lease.class);
    assertEquals(4, ahead.wanted(), "a lease's worth: a fifth of a second at 20/s");
    ahead.replyTo().tell(new RateLimiter.Leased(4, 0));
    io.steadfast.testing.Waiting.waitFor("the lease held").until(() -> held.permits() == 4);
    assertTrue(held.tryTake());

    io.steadfast.testing.Waiting.waitFor("unused permits dropped").atMost(PermitPool.LEASE_TTL.plusSeconds(3))
        .until(held::isEmpty);
    assertFalse(held.tryTake());
  }
}
