package io.steadfast.task;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.breaker.TrialDecision;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.execution.AttemptResult;
import io.steadfast.execution.Bulkhead;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.AttemptView;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.storage.MintedIds;
import io.steadfast.storage.WakeIndex;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * One task, sharded by task id and event sourced: its events are its full history. Unfinished
 * tasks are in the wake-up index ({@link WakeIndex}, written with their events), so after a crash
 * or a full restart they start again on whichever node then hosts their shard ({@link
 * TaskWaker}); an attempt that was running when its node died is recorded {@code NODE_LOST} and
 * tried again (at-least-once). Backoff timers are re-armed from the persisted next-attempt time.
 *
 * <p>An attempt's life: due (a timer or recovery sends {@link Wake}) → a permit from the type's
 * bulkhead on this node → {@link AttemptStarted} persisted → the handler runs on the type's
 * threads → {@link AttemptEnded} → success, retry, dead letter or cancellation persisted.
 *
 * <p>The fast path: a new task that is due at once, whose breaker is closed and whose bulkhead
 * has a free slot and nobody waiting takes the permit synchronously on {@link Submit} and
 * persists {@link Submitted} and {@link AttemptStarted} in one write, with no Wake.
 *
 * <p>Here is what the entity speaks and keeps: its commands, replies, events and state. The
 * journal names events and snapshots by these nested classes, so they stay here; {@link
 * TaskEntityBehavior} turns the commands into events and effects, and {@link TaskSharding} places
 * tasks in the cluster.
 */
public final class TaskEntity {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Task");

  /**
   * Task events are tagged with one of this many slices, so that the read side runs as that many
   * projections spread over the cluster. Changing it re-tags only new events.
   */
  public static final int TAG_SLICES = 4;

  /** Attempts are numbered from 1, and go on counting across redrives. */
  static final int FIRST_ATTEMPT = 1;

  private TaskEntity() {}

  public static String tag(int slice) {
    return "task-" + slice;
  }

  /** The journal's name for the task {@code taskId}. */
  public static PersistenceId persistenceId(String taskId) {
    return PersistenceId.of(ENTITY_KEY.name(), taskId);
  }

  /**
   * An incarnation of the task's entity. One that starts on an id this node has just minted (see
   * {@link TaskIds}) claims it ({@link MintedIds#claim}), once, and reads nothing from the journal
   * to recover: see {@link MintedMode} for the rules that keep this safe. Any other
   * incarnation (a keyed submission, a workflow step, a task the waker starts again, a task read
   * or cancelled) recovers in full.
   *
   * @param shard where passivation is asked for; in tests any probe
   */
  public static Behavior<Command> create(
      String taskId, TaskRuntime runtime, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(context -> {
      boolean minted = MintedIds.get(context.getSystem()).claim(persistenceId(taskId).id());
      return Behaviors.withTimers(
          timers -> new TaskEntityBehavior(taskId, minted, context, timers, runtime, shard));
    });
  }

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Accept a new task; a second Submit with the same id is an idempotent resubmission. */
  public record Submit(TaskSpec spec, ActorRef<SubmitReply> replyTo) implements Command {}

  public record Get(ActorRef<GetReply> replyTo) implements Command {}

  /** Waiting tasks end at once; a running one is told to stop and ends with its attempt. */
  public record Cancel(ActorRef<CancelReply> replyTo) implements Command {}

  /**
   * Runs a dead-lettered task again with a fresh attempt budget.
   *
   * @param retryPolicy replaces the task's policy; null keeps it
   */
  public record Redrive(io.steadfast.protocol.RetryPolicy retryPolicy, ActorRef<RedriveReply> replyTo)
      implements Command {}

  /** Start the next attempt if one is due (after submission, a backoff, or recovery). */
  enum Wake implements Command {
    INSTANCE
  }

  /**
   * The circuit breaker's answer: may attempt {@code attempt} run as a half-open trial?
   *
   * @param decision null when the breaker did not answer
   */
  record TrialAnswered(int attempt, TrialDecision decision) implements Command {}

  /** This node's pool of the type's rate-limit permits has one for attempt {@code attempt}. */
  record RatePermitReply(int attempt) implements Command {}

  /** The bulkhead's answer to a permit request. */
  record PermitReply(Bulkhead.Reply reply) implements Command {}

  /** The handler of attempt {@code attempt} returned. */
  record AttemptEnded(int attempt, AttemptResult result) implements Command {}

  record AttemptTimedOut(int attempt) implements Command {}

  /** Found on recovery: attempt {@code attempt} was running when the previous incarnation died. */
  record AttemptLost(int attempt) implements Command {}

  /** From a handler, off the actor thread: persist progress of attempt {@code attempt}. */
  record RecordCheckpoint(int attempt, JsonNode state, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** How filing this task's dead letter went; a failure is tried again. */
  record FilingEnded(boolean filed) implements Command {}

  /** Time to try filing the dead letter again. */
  record FilingRetry() implements Command {}

  /**
   * Sharding's stop message: the entity's shard moves to another node, or the entity passivates.
   * A running attempt is told to stop and awaited first, so that it never runs on two nodes.
   */
  public enum HandOff implements Command {
    INSTANCE
  }

  /** A terminal task has not been read for a while: it may leave memory. */
  enum Idle implements Command {
    INSTANCE
  }

  /** In minted mode, no command came soon after the start (see {@link TaskEntityBehavior}). */
  enum FirstCommandOverdue implements Command {
    INSTANCE
  }

  // ---------------------------------------------------------------- replies

  public sealed interface SubmitReply extends CborSerializable {}

  public record Accepted(TaskView task) implements SubmitReply {}

  public record AlreadySubmitted(TaskView task) implements SubmitReply {}

  public record IdempotencyConflict(TaskView existing) implements SubmitReply {}

  public sealed interface GetReply extends CborSerializable {}

  public record Found(TaskView task) implements GetReply {}

  public record NotFound(String taskId) implements GetReply {}

  public sealed interface CancelReply extends CborSerializable {}

  /** Cancelled, or (while an attempt runs) cancellation requested: see the view's status. */
  public record CancelAccepted(TaskView task) implements CancelReply {}

  /** The task had already ended. */
  public record CancelRefused(TaskView task) implements CancelReply {}

  public record CancelNotFound(String taskId) implements CancelReply {}

  public sealed interface RedriveReply extends CborSerializable {}

  public record RedriveAccepted(TaskView task) implements RedriveReply {}

  /** Only a dead-lettered task can be redriven. */
  public record RedriveRefused(TaskView task) implements RedriveReply {}

  public record RedriveNotFound(String taskId) implements RedriveReply {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  public record Submitted(TaskSpec spec, Instant at) implements Event {}

  public record AttemptStarted(int attempt, String node, Instant at) implements Event {}

  /** A handler's progress; the next attempt, on any node, starts from it. */
  public record CheckpointRecorded(int attempt, JsonNode state, Instant at) implements Event {}

  public record AttemptSucceeded(int attempt, JsonNode result, Instant at) implements Event {}

  /**
   * @param nextAttemptAt when the next attempt is due; null when there will be none
   * @param counted false when the attempt does not count against the maximum (rate limited)
   */
  public record AttemptFailed(
      int attempt, AttemptOutcome outcome, TaskError error, Instant nextAttemptAt, boolean counted, Instant at)
      implements Event {}

  public record DeadLettered(String reason, Instant at) implements Event {}

  /** Not run now (the type's circuit breaker is open); no attempt is spent. */
  public record Deferred(Instant until, String reason, Instant at) implements Event {}

  /** Not run yet: its type is over its rate limit; no attempt is spent. It runs as soon as a permit is there. */
  public record RateLimited(String reason, Instant at) implements Event {}

  /** The dead-letter queue acknowledged this task's entry. */
  public record DeadLetterFiled(Instant at) implements Event {}

  /**
   * Taken out of the dead-letter queue to run again with a fresh attempt budget.
   *
   * @param retryPolicy replaces the task's policy; null keeps it
   */
  public record Redriven(io.steadfast.protocol.RetryPolicy retryPolicy, Instant at) implements Event {}

  /** Asked to cancel while an attempt runs: the attempt is told to stop. */
  public record CancellationRequested(Instant at) implements Event {}

  public record Cancelled(Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /** One attempt as recorded; {@code endedAt} and {@code outcome} are null while it runs. */
  public record Attempt(
      int number,
      String node,
      Instant startedAt,
      Instant endedAt,
      AttemptOutcome outcome,
      TaskError error,
      boolean counted)
      implements CborSerializable {

    Attempt ended(AttemptOutcome outcome, TaskError error, boolean counted, Instant at) {
      return new Attempt(number, node, startedAt, at, outcome, error, counted);
    }

    AttemptView toView() {
      return new AttemptView(
          number, node, ApiTime.format(startedAt), ApiTime.format(endedAt), outcome, error, counted);
    }
  }

  /**
   * Why and when a task was dead-lettered, and whether the dead-letter queue has it yet.
   *
   * @param filed the queue acknowledged the entry; until then the task stays in memory and open
   *     in the wake-up index, and files it again after a crash
   */
  public record DeadLetter(String reason, Instant at, boolean filed) implements CborSerializable {}

  /**
   * Immutable; {@code spec == null} until the task is submitted. Events change it by the rules of
   * TaskLifecycle.
   *
   * @param lastBackoffMs the delay before the current wait (decorrelated jitter grows from it)
   * @param budgetFrom index in {@code history} of the first attempt that counts against the
   *     maximum (a redrive starts a fresh budget; attempt numbers go on)
   * @param checkpoint the last progress a handler recorded, or null
   * @param deadLetter set while the task is dead-lettered, else null
   * @param historyLost the journal lost events of this task: it ended as a dead letter that says so
   */
  public record State(
      String taskId,
      TaskSpec spec,
      TaskStatus status,
      Instant createdAt,
      Instant updatedAt,
      Instant nextAttemptAt,
      long lastBackoffMs,
      boolean cancelRequested,
      TaskError lastError,
      JsonNode result,
      JsonNode checkpoint,
      List<Attempt> history,
      int budgetFrom,
      DeadLetter deadLetter,
      boolean historyLost)
      implements CborSerializable {

    /** The error type of a task whose journal lost events it had acknowledged. */
    public static final String HISTORY_LOST = "HISTORY_LOST";

    static State empty(String taskId) {
      return new State(taskId, null, null, null, null, null, 0, false, null, null, null, List.of(), 0, null, false);
    }

    @JsonIgnore
    public boolean isSubmitted() {
      return spec != null;
    }

    @JsonIgnore
    public boolean isWaiting() {
      return status == TaskStatus.PENDING || status == TaskStatus.RETRY_WAIT || status == TaskStatus.DEFERRED
          || status == TaskStatus.RATE_LIMITED;
    }

    /** Dead-lettered, but the queue has not acknowledged it yet: must not leave memory. */
    @JsonIgnore
    public boolean isDeadLetterUnfiled() {
      return status == TaskStatus.DEAD_LETTERED && deadLetter != null && !deadLetter.filed();
    }

    /** Whether a redrive can run this task again: not when its submission itself is lost. */
    @JsonIgnore
    public boolean isRedrivable() {
      return status == TaskStatus.DEAD_LETTERED && !(historyLost && TaskSpec.LOST_TYPE.equals(spec.type()));
    }

    boolean isRunning(int attempt) {
      return status == TaskStatus.RUNNING && lastAttempt().number() == attempt;
    }

    /** Whether {@code attempt} is the one this waiting task runs next, and its time has come. */
    boolean isDue(int attempt, Instant now) {
      return isWaiting() && attempts() + 1 == attempt && (nextAttemptAt == null || !now.isBefore(nextAttemptAt));
    }

    public int attempts() {
      return history.size();
    }

    /** Attempts since the last redrive that count against the maximum. */
    public long countedAttempts() {
      return history.subList(budgetFrom, history.size()).stream().filter(Attempt::counted).count();
    }

    /** The attempt started last, or null before the first. */
    public Attempt lastAttempt() {
      return history.isEmpty() ? null : history.get(history.size() - 1);
    }

    State withStatus(TaskStatus newStatus, Instant at, Instant next) {
      return new State(taskId, spec, newStatus, createdAt, at, next, lastBackoffMs, cancelRequested, lastError,
          result, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    State withAttemptStarted(Attempt started) {
      List<Attempt> appended = new ArrayList<>(history);
      appended.add(started);
      return withHistory(appended);
    }

    /** The running attempt, as it ended. */
    State withLastAttempt(Attempt ended) {
      List<Attempt> replaced = new ArrayList<>(history);
      replaced.set(replaced.size() - 1, ended);
      return withHistory(replaced);
    }

    private State withHistory(List<Attempt> newHistory) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, checkpoint, List.copyOf(newHistory), budgetFrom, deadLetter, historyLost);
    }

    State withResult(JsonNode newResult) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, newResult, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    State withCheckpoint(JsonNode newCheckpoint) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, newCheckpoint, history, budgetFrom, deadLetter, historyLost);
    }

    State withFailure(TaskError error, long backoffMs) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, backoffMs, cancelRequested,
          error, result, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    State withCancelRequested() {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, true,
          lastError, result, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    State withDeadLetter(DeadLetter newDeadLetter) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, checkpoint, history, budgetFrom, newDeadLetter, historyLost);
    }

    State withHistoryLost(boolean lost) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, checkpoint, history, budgetFrom, deadLetter, lost);
    }

    /** The entry the dead-letter queue keeps for this task. */
    DeadLetterQueue.Entry toDeadLetterEntry() {
      List<Attempt> failed =
          history.subList(budgetFrom, history.size()).stream().filter(a -> a.error() != null).toList();
      TaskError error = lastError != null ? lastError : new TaskError("UNKNOWN", "no error recorded", false);
      return new DeadLetterQueue.Entry(
          0, taskId, spec.type(), error.type(), error.message(), history.size(),
          failed.isEmpty() ? null : failed.get(0).endedAt(),
          failed.isEmpty() ? null : failed.get(failed.size() - 1).endedAt(),
          deadLetter.at(), deadLetter.reason());
    }

    public TaskView toView() {
      return new TaskView(
          taskId,
          spec.type(),
          status,
          spec.payload(),
          spec.priority(),
          history.size(),
          spec.retryPolicy().maxAttempts(),
          spec.retryPolicy(),
          spec.attemptTimeoutMs(),
          ApiTime.format(createdAt),
          ApiTime.format(updatedAt),
          ApiTime.format(nextAttemptAt),
          cancelRequested,
          lastError,
          result,
          checkpoint,
          history.stream().map(Attempt::toView).toList());
    }
  }
}
