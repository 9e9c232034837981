package io.steadfast.protocol;

/** A workflow step's readiness, as an operator asks for it. */
public enum StepReadiness {
  /** A step it depends on has not succeeded (yet). */
  WAITING_FOR_DEPENDENCIES,
  /** Its dependencies succeeded: its task is submitted and due, waiting for a slot. */
  READY,
  RUNNING,
  /** An attempt failed; the next is due at nextAttemptAt. */
  RETRY_WAIT,
  /** Its type's circuit breaker is open; no attempt is spent until nextAttemptAt. */
  DEFERRED_BY_BREAKER,
  /** Its type's rate limit has no permit free now: it waits for one, spending no attempt. */
  RATE_LIMITED,
  SUCCEEDED,
  DEAD_LETTERED,
  CANCELLED;

  public boolean isEnded() {
    return this == SUCCEEDED || this == DEAD_LETTERED || this == CANCELLED;
  }
}
