package io.steadfast.stats;

import io.steadfast.task.TaskEntity;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one group of a task's events does to its {@code task_summary} row and to its type's
 * counters, folded so that the row is written once per group however many events it had (a
 * {@code noop} task's three events usually arrive together).
 */
final class SummaryChange {
  final String taskId;
  /** The submission, when it is in this group: the row is created from it. */
  TaskEntity.Submitted submitted;
  /** The last status set, or null if no event in the group set one. */
  String status;
  Instant updatedAt;
  /** The number of the last attempt started, or null. */
  Integer attempts;
  /** The first attempt start in the group; the row keeps an earlier one. */
  Instant firstAttemptAt;
  /** Whether {@code ended_at} changes: set to {@link #endedAt} (null clears it, on a redrive). */
  boolean endedAtChanged;
  Instant endedAt;
  /** Counter name → how much to add. */
  final Map<String, Long> counts = new TreeMap<>();

  SummaryChange(String taskId) {
    this.taskId = taskId;
  }

  void apply(TaskEntity.Event event) {
    if (event instanceof TaskEntity.Submitted e) {
      submitted = e;
      status("PENDING", e.at());
      count("submitted");
    } else if (event instanceof TaskEntity.AttemptStarted e) {
      status("RUNNING", e.at());
      attempts = e.attempt();
      if (firstAttemptAt == null) firstAttemptAt = e.at();
      count("attempts");
    } else if (event instanceof TaskEntity.AttemptSucceeded e) {
      end("SUCCEEDED", e.at());
      count("succeeded");
    } else if (event instanceof TaskEntity.AttemptFailed e) {
      status("RETRY_WAIT", e.at());
      count("failedAttempts");
      count("error:" + e.error().type());
      if (e.nextAttemptAt() != null) count("retried");
    } else if (event instanceof TaskEntity.Deferred e) {
      status("DEFERRED", e.at());
      count("deferred");
    } else if (event instanceof TaskEntity.RateLimited e) {
      status("RATE_LIMITED", e.at());
      count("rateLimited");
    } else if (event instanceof TaskEntity.DeadLettered e) {
      end("DEAD_LETTERED", e.at());
      count("deadLettered");
    } else if (event instanceof TaskEntity.Cancelled e) {
      end("CANCELLED", e.at());
      count("cancelled");
    } else if (event instanceof TaskEntity.Redriven e) {
      status("PENDING", e.at());
      endedAtChanged = true;
      endedAt = null;
      count("redriven");
    }
    // Checkpoints, cancellation requests and dead-letter filings change nothing shown here.
  }

  /** False when the group held only events the read side does not show. */
  boolean changesRow() {
    return status != null;
  }

  private void status(String newStatus, Instant at) {
    status = newStatus;
    updatedAt = at;
  }

  private void end(String newStatus, Instant at) {
    status(newStatus, at);
    endedAtChanged = true;
    endedAt = at;
  }

  private void count(String name) {
    counts.merge(name, 1L, Long::sum);
  }
}
