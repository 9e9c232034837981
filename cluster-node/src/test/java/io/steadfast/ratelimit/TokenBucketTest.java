package io.steadfast.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The limiter's arithmetic on pure state, with a fixed clock. */
class TokenBucketTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final RateLimit TEN_PER_SECOND = new RateLimit(10, Duration.ofSeconds(1), 10);

  @Test
  void aNewLimiterStartsEmptySoThatAMoveAddsNoBurst() {
    TokenBucket.Lease lease = TokenBucket.emptyAt(T0).take(2, T0, TEN_PER_SECOND);

    assertEquals(0, lease.granted());
    assertEquals(Duration.ofMillis(200), lease.retryIn(), "two permits come in 200 ms at 10/s");
  }

  @Test
  void permitsAccrueAtTheRateAndFractionsAreKept() {
    TokenBucket bucket = TokenBucket.emptyAt(T0);

    TokenBucket.Lease first = bucket.take(5, T0.plusMillis(250), TEN_PER_SECOND);
    assertEquals(2, first.granted(), "2.5 accrued, 2 whole permits");
    TokenBucket.Lease second = first.after().take(5, T0.plusMillis(300), TEN_PER_SECOND);
    assertEquals(1, second.granted(), "the half left plus half a permit more");
  }

  @Test
  void anIdleBucketHoldsNoMoreThanItsBurst() {
    RateLimit burstOf3 = new RateLimit(10, Duration.ofSeconds(1), 3);

    TokenBucket.Lease lease = TokenBucket.emptyAt(T0).take(100, T0.plus(Duration.ofMinutes(5)), burstOf3);

    assertEquals(3, lease.granted());
  }

  @Test
  void takingAllTheTimeNeverGetsMoreThanTheRate() {
    RateLimit twentyPerSecond = new RateLimit(20, Duration.ofSeconds(1), 20);
    TokenBucket bucket = TokenBucket.emptyAt(T0);
    int granted = 0;
    // Three nodes asking in turn, every 7 ms, for 10 s.
    for (long ms = 0; ms <= 10_000; ms += 7) {
      TokenBucket.Lease lease = bucket.take(4, T0.plusMillis(ms), twentyPerSecond);
      granted += lease.granted();
      bucket = lease.after();
    }
    assertEquals(200, granted, 1);
  }

  @Test
  void aShortLeaseSaysWhenTheRestWillBeThere() {
    RateLimit twentyPerSecond = new RateLimit(20, Duration.ofSeconds(1), 20);

    TokenBucket.Lease lease = TokenBucket.emptyAt(T0).take(4, T0.plusMillis(100), twentyPerSecond);

    assertEquals(2, lease.granted());
    assertEquals(Duration.ofMillis(100), lease.retryIn(), "the 2 still wanted come in 100 ms at 20/s");
  }
}
