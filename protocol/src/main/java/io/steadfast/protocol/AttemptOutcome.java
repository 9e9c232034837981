package io.steadfast.protocol;

/**
 * How one attempt ended. {@code NODE_LOST}: the node running it died before it ended. {@code
 * HANDED_OFF}: stopped because its task moved to another node (a rebalance, or its node leaving
 * in an orderly way); it does not count against the maximum, and the task goes on elsewhere.
 */
public enum AttemptOutcome {
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  NODE_LOST,
  CANCELLED,
  HANDED_OFF
}
