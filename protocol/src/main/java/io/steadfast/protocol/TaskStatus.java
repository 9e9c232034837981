package io.steadfast.protocol;

/** Where a task is in its life. The last three are terminal: a task reaches exactly one of them. */
public enum TaskStatus {
  PENDING,
  RUNNING,
  RETRY_WAIT,
  DEFERRED,
  SUCCEEDED,
  DEAD_LETTERED,
  CANCELLED;

  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD_LETTERED || this == CANCELLED;
  }
}
