package io.steadfast.task;

import io.steadfast.execution.AttemptResult;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.task.TaskEntity.Attempt;
import io.steadfast.task.TaskEntity.AttemptFailed;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.AttemptSucceeded;
import io.steadfast.task.TaskEntity.CancellationRequested;
import io.steadfast.task.TaskEntity.Cancelled;
import io.steadfast.task.TaskEntity.CheckpointRecorded;
import io.steadfast.task.TaskEntity.DeadLetter;
import io.steadfast.task.TaskEntity.DeadLetterFiled;
import io.steadfast.task.TaskEntity.DeadLettered;
import io.steadfast.task.TaskEntity.Deferred;
import io.steadfast.task.TaskEntity.Event;
import io.steadfast.task.TaskEntity.RateLimited;
import io.steadfast.task.TaskEntity.Redriven;
import io.steadfast.task.TaskEntity.State;
import io.steadfast.task.TaskEntity.Submitted;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The rules of a task's life, as pure functions of its {@link State}: how each event changes it
 * ({@link #apply}, a journal that lost events included), and which events end an attempt after a
 * result, a timeout, a lost node or a hand-off. Nothing here reads a clock or draws from a random
 * source of its own: {@code now} and {@code random} are passed in, so that tests fix them. The
 * drawn backoff is persisted (as the next attempt's time), so a replay, which only applies
 * events, never draws again and lands on an equal state.
 */
final class TaskLifecycle {
  private TaskLifecycle() {}

  // ---------------------------------------------------------------- how events change the state

  /**
   * Applies one event. A history the journal lost part of (it does not start with the
   * submission, or an event does not follow from the ones before it) ends here as a dead letter
   * that says so, instead of failing every recovery: see {@link #damaged}.
   */
  static State apply(State state, Event event) {
    if (state.historyLost()) return afterLostHistory(state, event);
    String gap = gapBefore(state, event);
    return gap == null ? applyInOrder(state, event) : damaged(state, event, gap);
  }

  /** Why {@code event} cannot follow {@code state} (an event before it is missing), or null. */
  private static String gapBefore(State state, Event event) {
    if (event instanceof Submitted) return state.isSubmitted() ? "a second submission" : null;
    if (!state.isSubmitted()) return "no submission before it";
    if (event instanceof AttemptStarted e) {
      int attempts = state.attempts();
      return e.attempt() == attempts + 1 ? null : "attempt " + e.attempt() + " after " + attempts + " attempts";
    }
    Attempt last = state.lastAttempt();
    boolean attemptRunning = last != null && last.outcome() == null;
    if (event instanceof AttemptSucceeded || event instanceof AttemptFailed || event instanceof CheckpointRecorded) {
      return attemptRunning ? null : "no attempt running";
    }
    if (event instanceof DeadLetterFiled) return state.deadLetter() != null ? null : "no dead letter to file";
    return null;
  }

  /**
   * The journal lost events of this task (a database that lost acknowledged writes): it ends
   * dead-lettered with the reason, visible to operators, instead of replaying into an
   * impossible state. What is known stays: the submission if it survived, the attempts before
   * the gap, the last checkpoint.
   */
  private static State damaged(State state, Event event, String gap) {
    String reason = "the journal lost events of this task: " + event.getClass().getSimpleName() + " found with " + gap;
    Instant at = eventTime(event);
    TaskError lost = new TaskError(State.HISTORY_LOST, reason, false);
    State known = state;
    Attempt last = state.lastAttempt();
    if (last != null && last.outcome() == null) {
      known = known.withLastAttempt(last.ended(AttemptOutcome.NODE_LOST, lost, true, at));
    }
    return new State(
        known.taskId(), known.isSubmitted() ? known.spec() : TaskSpec.lost(), TaskStatus.DEAD_LETTERED,
        known.createdAt() != null ? known.createdAt() : at, at, null, known.lastBackoffMs(), known.cancelRequested(),
        lost, known.result(), known.checkpoint(), known.history(), known.budgetFrom(), new DeadLetter(reason, at, false),
        true);
  }

  /**
   * Events written after the lost ones came from an entity that did not know of the loss: only
   * those that act on the dead letter still apply, and a redrive starts the task afresh.
   */
  private static State afterLostHistory(State state, Event event) {
    if (event instanceof DeadLetterFiled) return applyInOrder(state, event);
    if (event instanceof Redriven) return applyInOrder(state, event).withHistoryLost(false);
    return state;
  }

  private static Instant eventTime(Event event) {
    if (event instanceof Submitted e) return e.at();
    if (event instanceof AttemptStarted e) return e.at();
    if (event instanceof CheckpointRecorded e) return e.at();
    if (event instanceof AttemptSucceeded e) return e.at();
    if (event instanceof AttemptFailed e) return e.at();
    if (event instanceof DeadLettered e) return e.at();
    if (event instanceof Deferred e) return e.at();
    if (event instanceof RateLimited e) return e.at();
    if (event instanceof DeadLetterFiled e) return e.at();
    if (event instanceof Redriven e) return e.at();
    if (event instanceof CancellationRequested e) return e.at();
    if (event instanceof Cancelled e) return e.at();
    throw new IllegalArgumentException("unknown event " + event);
  }

  private static State applyInOrder(State state, Event event) {
    if (event instanceof Submitted e) {
      return new State(
          state.taskId(), e.spec(), TaskStatus.PENDING, e.at(), e.at(), e.spec().runAt(), 0, false, null, null, null,
          List.of(), 0, null, false);
    } else if (event instanceof AttemptStarted e) {
      Attempt started = new Attempt(e.attempt(), e.node(), e.at(), null, null, null, true);
      return state.withStatus(TaskStatus.RUNNING, e.at(), null).withAttemptStarted(started);
    } else if (event instanceof CheckpointRecorded e) {
      return state.withStatus(state.status(), e.at(), state.nextAttemptAt()).withCheckpoint(e.state());
    } else if (event instanceof AttemptSucceeded e) {
      Attempt ended = state.lastAttempt().ended(AttemptOutcome.SUCCEEDED, null, true, e.at());
      return state.withStatus(TaskStatus.SUCCEEDED, e.at(), null).withLastAttempt(ended).withResult(e.result());
    } else if (event instanceof AttemptFailed e) {
      Attempt ended = state.lastAttempt().ended(e.outcome(), e.error(), e.counted(), e.at());
      long backoff =
          e.nextAttemptAt() == null ? state.lastBackoffMs() : Duration.between(e.at(), e.nextAttemptAt()).toMillis();
      return state.withStatus(TaskStatus.RETRY_WAIT, e.at(), e.nextAttemptAt())
          .withLastAttempt(ended)
          .withFailure(e.error(), backoff);
    } else if (event instanceof Deferred e) {
      return state.withStatus(TaskStatus.DEFERRED, e.at(), e.until());
    } else if (event instanceof RateLimited e) {
      return state.withStatus(TaskStatus.RATE_LIMITED, e.at(), null);
    } else if (event instanceof DeadLettered e) {
      return state.withStatus(TaskStatus.DEAD_LETTERED, e.at(), null)
          .withDeadLetter(new DeadLetter(e.reason(), e.at(), false));
    } else if (event instanceof DeadLetterFiled e) {
      DeadLetter deadLetter = state.deadLetter();
      return state.withDeadLetter(new DeadLetter(deadLetter.reason(), deadLetter.at(), true));
    } else if (event instanceof Redriven e) {
      TaskSpec redriven = e.retryPolicy() == null ? state.spec() : state.spec().withRetryPolicy(e.retryPolicy());
      return new State(
          state.taskId(), redriven, TaskStatus.PENDING, state.createdAt(), e.at(), null, 0, false, state.lastError(),
          state.result(), state.checkpoint(), state.history(), state.history().size(), null, state.historyLost());
    } else if (event instanceof CancellationRequested e) {
      return state.withStatus(state.status(), e.at(), state.nextAttemptAt()).withCancelRequested();
    } else if (event instanceof Cancelled e) {
      return state.withStatus(TaskStatus.CANCELLED, e.at(), null);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  // ---------------------------------------------------------------- which events end an attempt
  // Each takes the state with the attempt still running, and says what to persist.

  /**
   * The handler returned. A success is kept even when a cancel came too late to stop the work;
   * otherwise a cancel ends the task; a rate limit waits without spending the attempt; a failure
   * is retried after the handler's own retry-after (capped), or else the policy's backoff.
   */
  static List<Event> afterResult(State state, AttemptResult result, Instant now, RandomGenerator random) {
    int attempt = state.lastAttempt().number();
    if (result instanceof AttemptResult.Succeeded ok) return List.of(new AttemptSucceeded(attempt, ok.result(), now));
    if (state.cancelRequested()) return cancelled(state, AttemptOutcome.CANCELLED, cancelledError(), now);
    if (result instanceof AttemptResult.RateLimited limited) {
      TaskError error = new TaskError("RATE_LIMITED", limited.message(), true);
      Instant next = now.plus(capped(state, limited.retryAfter()));
      return List.of(new AttemptFailed(attempt, AttemptOutcome.FAILED, error, next, false, now));
    }
    AttemptResult.Failed failed = (AttemptResult.Failed) result;
    Duration delay = failed.retryAfter() != null ? capped(state, failed.retryAfter()) : backoff(state, random);
    return failed(state, AttemptOutcome.FAILED, failed.error(), delay, now);
  }

  /** The attempt ran past its timeout: it counts as a retryable failure. */
  static List<Event> afterTimeout(State state, Instant now, RandomGenerator random) {
    TaskError error = TaskError.timedOut(state.spec().attemptTimeoutMs());
    if (state.cancelRequested()) return cancelled(state, AttemptOutcome.TIMED_OUT, error, now);
    return failed(state, AttemptOutcome.TIMED_OUT, error, backoff(state, random), now);
  }

  /** The node running the attempt is gone; detecting that took seconds already: retry at once. */
  static List<Event> afterNodeLost(State state, Instant now) {
    TaskError error = TaskError.nodeLost(state.lastAttempt().node());
    if (state.cancelRequested()) return cancelled(state, AttemptOutcome.NODE_LOST, error, now);
    return failed(state, AttemptOutcome.NODE_LOST, error, Duration.ZERO, now);
  }

  /**
   * The attempt stopped because its task moved to another node: a result it still delivered is
   * kept; otherwise it is recorded HANDED_OFF, not counted, and due again at once wherever the
   * task starts next.
   *
   * @param result what the handler returned, or null if it had not returned by its deadline
   * @param node this node, named in the error
   */
  static Event afterHandOff(State state, AttemptResult result, String node, Instant now) {
    int attempt = state.lastAttempt().number();
    if (result instanceof AttemptResult.Succeeded ok) return new AttemptSucceeded(attempt, ok.result(), now);
    String why = "stopped on " + node + " because the task moved to another node";
    TaskError error = new TaskError(AttemptOutcome.HANDED_OFF.name(), why, true);
    return new AttemptFailed(attempt, AttemptOutcome.HANDED_OFF, error, now, false, now);
  }

  /** Retries after {@code delay} while attempts and hope remain; else the task is dead-lettered. */
  private static List<Event> failed(State state, AttemptOutcome outcome, TaskError error, Duration delay, Instant now) {
    int attempt = state.lastAttempt().number();
    int maxAttempts = state.spec().retryPolicy().maxAttempts();
    long counted = state.countedAttempts(); // the running attempt included
    if (error.retryable() && counted < maxAttempts) {
      return List.of(new AttemptFailed(attempt, outcome, error, now.plus(delay), true, now));
    }
    String reason =
        error.retryable()
            ? "attempts exhausted (" + counted + " of " + maxAttempts + ")"
            : "permanent failure: " + error.type();
    return List.of(new AttemptFailed(attempt, outcome, error, null, true, now), new DeadLettered(reason, now));
  }

  private static List<Event> cancelled(State state, AttemptOutcome outcome, TaskError error, Instant now) {
    return List.of(new AttemptFailed(state.lastAttempt().number(), outcome, error, null, true, now), new Cancelled(now));
  }

  /** The policy's delay after the running attempt fails, grown from the last one. */
  private static Duration backoff(State state, RandomGenerator random) {
    int failedAttempt = state.lastAttempt().number();
    return Duration.ofMillis(
        state.spec().retryPolicy().delayAfterAttemptMs(failedAttempt, state.lastBackoffMs(), random));
  }

  /** A handler's own retry-after wins over the policy, but never beyond the policy's cap. */
  private static Duration capped(State state, Duration requested) {
    long ms = Math.max(0, Math.min(requested.toMillis(), state.spec().retryPolicy().maxDelayMs()));
    return Duration.ofMillis(ms);
  }

  private static TaskError cancelledError() {
    return new TaskError("CANCELLED", "the task was cancelled while this attempt ran", false);
  }
}
