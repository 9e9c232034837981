package io.steadfast.task;

/**
 * What a task entity counts. It calls these after the event is in the journal, on the node
 * that handled the command, and never while replaying: a task that recovers on another node
 * does not count its past again. Implementations must be cheap and must not block (they run on
 * the actor's thread).
 */
public interface TaskMetrics {

  /** Outcome of an attempt that was rate limited: it failed without counting against the maximum. */
  String RATE_LIMITED = "RATE_LIMITED";

  void submitted(String type);

  /**
   * @param waitMs from when the task could first run (its submission, or its requested start
   *     if later) to the start of its first attempt
   */
  void firstAttemptStarted(String type, long waitMs);

  /**
   * @param outcome an {@link io.steadfast.protocol.AttemptOutcome} name, or {@link #RATE_LIMITED}
   */
  void attemptEnded(String type, String outcome, long durationMs);

  void deadLettered(String type);
}
