package io.steadfast.handlers;

/** Thrown by a handler for a failure that another attempt may cure (a timeout, a 503, a lock). */
public class RetryableTaskException extends Exception {
  private final String errorType;

  public RetryableTaskException(String errorType, String message) {
    super(message);
    this.errorType = errorType;
  }

  /** A short classifier kept with the failure, e.g. {@code UPSTREAM_UNAVAILABLE}. */
  public String errorType() {
    return errorType;
  }
}
