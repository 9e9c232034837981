package io.steadfast.handlers;

import java.time.Duration;
import java.util.Optional;

/**
 * Thrown by a handler for a failure that another attempt may cure (a timeout, a 503, a lock).
 * An optional retry-after (e.g. from an HTTP {@code Retry-After} header) replaces the delay the
 * retry policy would compute, capped by the policy's maximum delay.
 */
public class RetryableTaskException extends Exception {
  private final String errorType;
  private final Duration retryAfter;

  public RetryableTaskException(String errorType, String message) {
    this(errorType, message, null);
  }

  public RetryableTaskException(String errorType, String message, Duration retryAfter) {
    super(message);
    this.errorType = errorType;
    this.retryAfter = retryAfter;
  }

  /** A short classifier kept with the failure, e.g. {@code UPSTREAM_UNAVAILABLE}. */
  public String errorType() {
    return errorType;
  }

  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
