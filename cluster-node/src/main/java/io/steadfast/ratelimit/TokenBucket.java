package io.steadfast.ratelimit;

import java.time.Duration;
import java.time.Instant;

/**
 * The limiter's arithmetic, pure: a bucket that fills at the limit's rate up to its burst, from
 * which nodes take permits in leases. Time is passed in.
 *
 * @param tokens permits in the bucket at {@code at} (fractions accumulate between leases)
 */
record TokenBucket(double tokens, Instant at) {

  /**
   * A new limiter starts empty: whatever its predecessor had leased may still be in use, so a
   * limiter that moved to another node must not hand out a burst on top of it.
   */
  static TokenBucket emptyAt(Instant now) {
    return new TokenBucket(0, now);
  }

  /** What a lease came to. {@code retryIn}: when what it fell short of (at most a lease's worth) will be there. */
  record Lease(int granted, TokenBucket after, Duration retryIn) {}

  TokenBucket refilled(Instant now, RateLimit limit) {
    if (!now.isAfter(at)) return this;
    double added = Duration.between(at, now).toNanos() / 1_000_000_000.0 * limit.permitsPerSecond();
    return new TokenBucket(Math.min(limit.burst(), tokens + added), now);
  }

  /** Takes up to {@code wanted} whole permits. */
  Lease take(int wanted, Instant now, RateLimit limit) {
    TokenBucket full = refilled(now, limit);
    int granted = (int) Math.min(Math.max(0, wanted), Math.floor(full.tokens));
    TokenBucket after = new TokenBucket(full.tokens - granted, full.at);
    Duration retryIn = Duration.ZERO;
    if (granted < wanted) {
      double need = Math.min(wanted - granted, limit.leaseSize()) - after.tokens;
      retryIn = Duration.ofNanos((long) Math.ceil(Math.max(0, need) / limit.permitsPerSecond() * 1_000_000_000.0));
    }
    return new Lease(granted, after, retryIn);
  }
}
