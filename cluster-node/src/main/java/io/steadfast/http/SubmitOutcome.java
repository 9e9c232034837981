package io.steadfast.http;

import io.steadfast.admission.AdmissionControl;
import io.steadfast.protocol.api.ApiError;
import io.steadfast.protocol.api.TaskView;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What one submission came to, with the HTTP status and body it answers: the whole answer of
 * {@code POST /api/v1/tasks}, one item of {@code POST /api/v1/tasks/batch}.
 */
sealed interface SubmitOutcome {

  int status();

  /** The task, when it is in the journal (new or submitted before); else null. */
  default TaskView task() {
    return null;
  }

  /** Why there is no task; null when there is one. */
  default ApiError error() {
    return null;
  }

  /** When a client should try again; null when trying again would not help. */
  default Duration retryAfter() {
    return null;
  }

  record Accepted(TaskView task) implements SubmitOutcome {
    public int status() {
      return 202;
    }
  }

  /** The same request came before with this idempotency key: its task. */
  record AlreadySubmitted(TaskView task) implements SubmitOutcome {
    public int status() {
      return 200;
    }
  }

  record Conflict(String idempotencyKey, TaskView existing) implements SubmitOutcome {
    public int status() {
      return 409;
    }

    public ApiError error() {
      return new ApiError("idempotency_conflict",
          "idempotencyKey '" + idempotencyKey + "' was already used for a different request",
          Map.of("taskId", existing.id()));
    }
  }

  /** Past the load bound: nothing was persisted. */
  record Overloaded(AdmissionControl.Rejection rejection) implements SubmitOutcome {
    public int status() {
      return 429;
    }

    public Duration retryAfter() {
      return Duration.ofSeconds(Math.max(1, rejection.retryAfter().toSeconds()));
    }

    public ApiError error() {
      if (rejection.bound() == AdmissionControl.Bound.JOURNAL) {
        return new ApiError("overloaded",
            "this node's journal has " + rejection.load() + " writes queued or on their way (limit " + rejection.limit()
                + "); retry after " + retryAfter().toSeconds() + " s",
            details());
      }
      return new ApiError("overloaded",
          "this node is at its load limit for priority " + rejection.priority() + " (load " + rejection.load()
              + ", limit " + rejection.limit() + "); retry after " + retryAfter().toSeconds()
              + " s, or submit with a higher priority",
          details());
    }

    private Map<String, Object> details() {
      return Map.of("bound", rejection.bound().name().toLowerCase(Locale.ROOT), "load", rejection.load(),
          "limit", rejection.limit(), "priority", rejection.priority());
    }
  }

  /** The task's entity did not answer in time: the submission may or may not have landed. */
  record Unavailable(String taskId, Duration askTimeout) implements SubmitOutcome {
    public int status() {
      return 503;
    }

    public Duration retryAfter() {
      return ApiErrors.RETRY_UNAVAILABLE_AFTER;
    }

    public ApiError error() {
      return new ApiError("timeout",
          "task " + taskId + " did not answer within " + askTimeout.toMillis() + " ms; it is safe to retry"
              + " with the same idempotencyKey",
          Map.of("taskId", taskId));
    }
  }
}
