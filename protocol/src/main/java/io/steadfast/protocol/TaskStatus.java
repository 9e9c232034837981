package io.steadfast.protocol;

/**
 * Where a task is in its life. The last three are terminal: a task reaches exactly one of them.
 * DEFERRED: its type's circuit breaker holds it back; RATE_LIMITED: its type's rate limit does.
 * Neither spends an attempt.
 */
public enum TaskStatus {
  PENDING,
  RUNNING,
  RETRY_WAIT,
  DEFERRED,
  RATE_LIMITED,
  SUCCEEDED,
  DEAD_LETTERED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD_LETTERED || this == CANCELLED;
  }
}
