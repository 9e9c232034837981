package io.steadfast.task;

import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.task.TaskEntity.Attempt;
import io.steadfast.task.TaskEntity.State;
import java.time.Duration;
import java.time.Instant;

/**
 * What a task's persisted events add to its node's metrics. The entity calls these in thenRun,
 * once the events are persisted, on the node that ran the command: a replay (a restart, or the
 * task resuming on another node) counts nothing again.
 */
final class TaskCounts {
  private TaskCounts() {}

  /** The first attempt of a task has started (its AttemptStarted is persisted). */
  static void firstStart(TaskMetrics metrics, State started) {
    Attempt first = started.lastAttempt();
    if (first.number() != TaskEntity.FIRST_ATTEMPT) return;
    // A requested delay (delayMs, runAt) is not waiting: count from when the task was due.
    Instant runAt = started.spec().runAt();
    Instant due = runAt != null && runAt.isAfter(started.createdAt()) ? runAt : started.createdAt();
    long waitMs = Math.max(0, Duration.between(due, first.startedAt()).toMillis());
    metrics.firstAttemptStarted(started.spec().type(), waitMs);
  }

  /** Counts the attempt whose end was just persisted. */
  static void attemptEnded(TaskMetrics metrics, State ended) {
    Attempt attempt = ended.lastAttempt();
    boolean rateLimited = attempt.outcome() == AttemptOutcome.FAILED && !attempt.counted();
    String outcome = rateLimited ? TaskMetrics.RATE_LIMITED : attempt.outcome().name();
    metrics.attemptEnded(
        ended.spec().type(), outcome, Duration.between(attempt.startedAt(), attempt.endedAt()).toMillis());
  }
}
