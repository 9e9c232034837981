package io.steadfast.protocol;

/** How one attempt ended. {@code NODE_LOST}: the node running it died or left before it ended. */
public enum AttemptOutcome {
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  NODE_LOST,
  CANCELLED
}
