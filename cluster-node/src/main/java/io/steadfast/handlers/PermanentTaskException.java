package io.steadfast.handlers;

/** Thrown by a handler for a failure that no attempt will cure (bad payload, a 404, a refusal). */
public class PermanentTaskException extends Exception {
  private final String errorType;

  public PermanentTaskException(String errorType, String message) {
    super(message);
    this.errorType = errorType;
  }

  /** A short classifier kept with the failure, e.g. {@code VALIDATION}. */
  public String errorType() {
    return errorType;
  }
}
