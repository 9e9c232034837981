package io.steadfast.handlers;

import java.time.Duration;

/**
 * Thrown by a handler that was told to come back later (a quota, a throttle). The task is
 * rescheduled after {@code retryAfter} and the attempt does not count against its maximum.
 */
public class RateLimitedException extends Exception {
  private final Duration retryAfter;

  public RateLimitedException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
