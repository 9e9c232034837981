package io.steadfast.task;

import io.steadfast.storage.JournalFailures;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.breaker.BreakerState;
import io.steadfast.breaker.BreakerStatus;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.execution.AttemptResult;
import io.steadfast.execution.AttemptRunner;
import io.steadfast.execution.Bulkhead;
import io.steadfast.handlers.TaskContext;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.AttemptView;
import io.steadfast.protocol.api.TaskView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.japi.function.Procedure;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One task, sharded by task id and event sourced: its events are its full history. Non-terminal
 * tasks are remembered by sharding, so after a crash they start again on a surviving node; an
 * attempt that was running when its node died is recorded {@code NODE_LOST} and tried again
 * (at-least-once). Backoff timers are re-armed from the persisted next-attempt time.
 *
 * <p>An attempt's life: due (a timer or recovery sends {@link Wake}) → a permit from the type's
 * bulkhead on this node → {@link AttemptStarted} persisted → the handler runs on the type's
 * threads → {@link AttemptEnded} → success, retry, dead letter or cancellation persisted.
 *
 * <p>The fast path: a new task that is due at once, whose breaker is closed and whose bulkhead
 * has a free slot and nobody waiting takes the permit synchronously on {@link Submit} and
 * persists {@link Submitted} and {@link AttemptStarted} in one write, with no Wake.
 */
public final class TaskEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TaskEntity.Command, TaskEntity.Event, TaskEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Task");

  /**
   * Task events are tagged with one of this many slices, so that the read side runs as that many
   * projections spread over the cluster. Changing it re-tags only new events.
   */
  public static final int TAG_SLICES = 4;

  public static String tag(int slice) {
    return "task-" + slice;
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

  /** The circuit breaker's answer: may attempt {@code attempt} run as a half-open trial? */
  record TrialAnswered(int attempt, boolean granted) implements Command {}

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
   * @param filed the queue acknowledged the entry; until then the task stays in memory and
   *     remembered, and files it again after a crash
   */
  public record DeadLetter(String reason, Instant at, boolean filed) implements CborSerializable {}

  /**
   * Immutable; {@code spec == null} until the task is submitted.
   *
   * @param lastBackoffMs the delay before the current wait (decorrelated jitter grows from it)
   * @param budgetFrom index in {@code history} of the first attempt that counts against the
   *     maximum (a redrive starts a fresh budget; attempt numbers go on)
   * @param checkpoint the last progress a handler recorded, or null
   * @param deadLetter set while the task is dead-lettered, else null
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
      return status == TaskStatus.PENDING || status == TaskStatus.RETRY_WAIT || status == TaskStatus.DEFERRED;
    }

    /** Dead-lettered, but the queue has not acknowledged it yet: must not leave memory. */
    @JsonIgnore
    public boolean isDeadLetterUnfiled() {
      return status == TaskStatus.DEAD_LETTERED && deadLetter != null && !deadLetter.filed();
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

    /**
     * Applies one event. A history the journal lost part of (it does not start with the
     * submission, or an event does not follow from the ones before it) ends here as a dead letter
     * that says so, instead of failing every recovery: see {@link #damaged}.
     */
    State apply(Event event) {
      if (historyLost) return afterLostHistory(event);
      String gap = gapBefore(event);
      return gap == null ? applyInOrder(event) : damaged(event, gap);
    }

    /** Why {@code event} cannot follow this state (an event before it is missing), or null. */
    private String gapBefore(Event event) {
      if (event instanceof Submitted) return isSubmitted() ? "a second submission" : null;
      if (!isSubmitted()) return "no submission before it";
      if (event instanceof AttemptStarted e) {
        return e.attempt() == attempts() + 1 ? null : "attempt " + e.attempt() + " after " + attempts() + " attempts";
      }
      boolean attemptRunning = lastAttempt() != null && lastAttempt().outcome() == null;
      if (event instanceof AttemptSucceeded || event instanceof AttemptFailed || event instanceof CheckpointRecorded) {
        return attemptRunning ? null : "no attempt running";
      }
      if (event instanceof DeadLetterFiled) return deadLetter != null ? null : "no dead letter to file";
      return null;
    }

    /**
     * The journal lost events of this task (a database that lost acknowledged writes): it ends
     * dead-lettered with the reason, visible to operators, instead of replaying into an
     * impossible state. What is known stays: the submission if it survived, the attempts before
     * the gap, the last checkpoint.
     */
    private State damaged(Event event, String gap) {
      String reason = "the journal lost events of this task: " + event.getClass().getSimpleName() + " found with " + gap;
      Instant at = eventTime(event);
      TaskSpec known = isSubmitted() ? spec : TaskSpec.lost();
      List<Attempt> attempts = history;
      Attempt last = lastAttempt();
      if (last != null && last.outcome() == null) {
        attempts = lastReplaced(last.ended(AttemptOutcome.NODE_LOST, new TaskError(HISTORY_LOST, reason, false), true, at));
      }
      return new State(
          taskId, known, TaskStatus.DEAD_LETTERED, createdAt != null ? createdAt : at, at, null, lastBackoffMs,
          cancelRequested, new TaskError(HISTORY_LOST, reason, false), result, checkpoint, attempts, budgetFrom,
          new DeadLetter(reason, at, false), true);
    }

    /**
     * Events written after the lost ones came from an entity that did not know of the loss: only
     * those that act on the dead letter still apply, and a redrive starts the task afresh.
     */
    private State afterLostHistory(Event event) {
      if (event instanceof DeadLetterFiled || event instanceof Redriven) {
        State applied = applyInOrder(event);
        return event instanceof Redriven ? applied.withHistoryLost(false) : applied;
      }
      return this;
    }

    /** Whether a redrive can run this task again: not when its submission itself is lost. */
    @JsonIgnore
    public boolean isRedrivable() {
      return status == TaskStatus.DEAD_LETTERED && !(historyLost && TaskSpec.LOST_TYPE.equals(spec.type()));
    }

    private static Instant eventTime(Event event) {
      if (event instanceof Submitted e) return e.at();
      if (event instanceof AttemptStarted e) return e.at();
      if (event instanceof CheckpointRecorded e) return e.at();
      if (event instanceof AttemptSucceeded e) return e.at();
      if (event instanceof AttemptFailed e) return e.at();
      if (event instanceof DeadLettered e) return e.at();
      if (event instanceof Deferred e) return e.at();
      if (event instanceof DeadLetterFiled e) return e.at();
      if (event instanceof Redriven e) return e.at();
      if (event instanceof CancellationRequested e) return e.at();
      if (event instanceof Cancelled e) return e.at();
      throw new IllegalArgumentException("unknown event " + event);
    }

    private State applyInOrder(Event event) {
      if (event instanceof Submitted e) {
        return new State(
            taskId, e.spec(), TaskStatus.PENDING, e.at(), e.at(), e.spec().runAt(), 0, false, null, null, null,
            List.of(), 0, null, false);
      } else if (event instanceof AttemptStarted e) {
        Attempt started = new Attempt(e.attempt(), e.node(), e.at(), null, null, null, true);
        return withStatus(TaskStatus.RUNNING, e.at(), null).withHistory(appended(started));
      } else if (event instanceof CheckpointRecorded e) {
        return withStatus(status, e.at(), nextAttemptAt).withCheckpoint(e.state());
      } else if (event instanceof AttemptSucceeded e) {
        Attempt ended = lastAttempt().ended(AttemptOutcome.SUCCEEDED, null, true, e.at());
        return withStatus(TaskStatus.SUCCEEDED, e.at(), null).withHistory(lastReplaced(ended)).withResult(e.result());
      } else if (event instanceof AttemptFailed e) {
        Attempt ended = lastAttempt().ended(e.outcome(), e.error(), e.counted(), e.at());
        long backoff =
            e.nextAttemptAt() == null ? lastBackoffMs : Duration.between(e.at(), e.nextAttemptAt()).toMillis();
        return withStatus(TaskStatus.RETRY_WAIT, e.at(), e.nextAttemptAt())
            .withHistory(lastReplaced(ended))
            .withFailure(e.error(), backoff);
      } else if (event instanceof Deferred e) {
        return withStatus(TaskStatus.DEFERRED, e.at(), e.until());
      } else if (event instanceof DeadLettered e) {
        return withStatus(TaskStatus.DEAD_LETTERED, e.at(), null).withDeadLetter(new DeadLetter(e.reason(), e.at(), false));
      } else if (event instanceof DeadLetterFiled e) {
        return withDeadLetter(new DeadLetter(deadLetter.reason(), deadLetter.at(), true));
      } else if (event instanceof Redriven e) {
        TaskSpec redriven = e.retryPolicy() == null ? spec : spec.withRetryPolicy(e.retryPolicy());
        return new State(
            taskId, redriven, TaskStatus.PENDING, createdAt, e.at(), null, 0, false, lastError, result, checkpoint,
            history, history.size(), null, historyLost);
      } else if (event instanceof CancellationRequested e) {
        return withStatus(status, e.at(), nextAttemptAt).withCancelRequested();
      } else if (event instanceof Cancelled e) {
        return withStatus(TaskStatus.CANCELLED, e.at(), null);
      }
      throw new IllegalArgumentException("unknown event " + event);
    }

    private State withStatus(TaskStatus newStatus, Instant at, Instant next) {
      return new State(taskId, spec, newStatus, createdAt, at, next, lastBackoffMs, cancelRequested, lastError,
          result, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    private State withHistory(List<Attempt> newHistory) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, checkpoint, newHistory, budgetFrom, deadLetter, historyLost);
    }

    private State withResult(JsonNode newResult) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, newResult, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    private State withCheckpoint(JsonNode newCheckpoint) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, newCheckpoint, history, budgetFrom, deadLetter, historyLost);
    }

    private State withFailure(TaskError error, long backoffMs) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, backoffMs, cancelRequested,
          error, result, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    private State withCancelRequested() {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, true,
          lastError, result, checkpoint, history, budgetFrom, deadLetter, historyLost);
    }

    private State withHistoryLost(boolean lost) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, checkpoint, history, budgetFrom, deadLetter, lost);
    }

    private State withDeadLetter(DeadLetter newDeadLetter) {
      return new State(taskId, spec, status, createdAt, updatedAt, nextAttemptAt, lastBackoffMs, cancelRequested,
          lastError, result, checkpoint, history, budgetFrom, newDeadLetter, historyLost);
    }

    private List<Attempt> appended(Attempt attempt) {
      List<Attempt> copy = new ArrayList<>(history.size() + 1);
      copy.addAll(history);
      copy.add(attempt);
      return List.copyOf(copy);
    }

    private List<Attempt> lastReplaced(Attempt attempt) {
      List<Attempt> copy = new ArrayList<>(history);
      copy.set(copy.size() - 1, attempt);
      return List.copyOf(copy);
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

  // ---------------------------------------------------------------- wiring

  public static void init(ActorSystem<?> system, TaskRuntime runtime) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, entity -> create(entity.getEntityId(), runtime, entity.getShard()))
                .withStopMessage(HandOff.INSTANCE));
  }

  /**
   * @param shard where passivation is asked for; in tests any probe
   */
  public static Behavior<Command> create(
      String taskId, TaskRuntime runtime, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(timers -> new TaskEntity(taskId, context, timers, runtime, shard)));
  }

  private static final String WAKE_TIMER = "wake";
  private static final String TIMEOUT_TIMER = "attempt-timeout";
  private static final String IDLE_TIMER = "idle";
  private static final String FILING_TIMER = "filing";
  private static final Duration CHECKPOINT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration FILING_RETRY = Duration.ofSeconds(2);
  /** A forced-open breaker stays open until reset: deferred tasks look again this often. */
  private static final Duration FORCED_OPEN_RECHECK = Duration.ofSeconds(5);
  /** While a half-open breaker's trials run, other tasks look again this often. */
  private static final Duration HALF_OPEN_RECHECK = Duration.ofSeconds(1);
  /** Deferred tasks come back within this much after the breaker lets them. */
  private static final Duration DEFERRAL_JITTER = Duration.ofMillis(500);
  /** How long a task turned away by a full bulkhead waits before it asks again (plus jitter). */
  private static final Duration BULKHEAD_FULL_RETRY = Duration.ofSeconds(1);
  private static final int FIRST_ATTEMPT = 1;

  private final String taskId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final TaskRuntime runtime;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ActorRef<Bulkhead.Reply> permitReplies;
  // Not state: an attempt and its permit live in one incarnation of the entity.
  /** The attempt a permit was asked for and not yet answered, or 0. */
  private int permitAskedFor;
  /** The attempt a half-open trial was asked for and not yet answered, or 0. */
  private int trialAskedFor;
  /** The attempt that runs (or will run, once its permit comes) as a half-open trial, or 0. */
  private int trialAttempt;
  /** Tells the running attempt's handler to stop. */
  private AtomicBoolean runningAttemptCancelled = new AtomicBoolean();
  /**
   * The type whose permit a fast start took, while its events are being written; else null. A
   * failed write restarts this entity in place (the same actor: death watch frees nothing), and
   * recovery gives the permit back.
   */
  private String fastStartUnwritten;
  /** The attempt whose handler this incarnation launched, or 0. */
  private int launchedAttempt;
  /** Told to stop (its shard moves): ends when the running attempt has ended. */
  private boolean handingOff;

  private TaskEntity(
      String taskId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      TaskRuntime runtime,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), taskId),
        JournalFailures.restartWithBackoff());
    this.taskId = taskId;
    this.context = context;
    this.timers = timers;
    this.runtime = runtime;
    this.shard = shard;
    this.permitReplies = context.messageAdapter(Bulkhead.Reply.class, PermitReply::new);
  }

  @Override
  public State emptyState() {
    return State.empty(taskId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(runtime.snapshotEvery(), 2);
  }

  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(tag(Math.floorMod(taskId.hashCode(), TAG_SLICES)));
  }

  /** A checkpoint is a promise that work need not be redone: make it cheap to recover. */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    return event instanceof CheckpointRecorded;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecovered).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forState(state -> !state.isSubmitted())
        .onCommand(Submit.class, this::submit)
        .onCommand(Get.class, (state, get) -> leaveAfterReply(get.replyTo(), new NotFound(taskId)))
        .onCommand(Cancel.class, (state, cancel) -> leaveAfterReply(cancel.replyTo(), new CancelNotFound(taskId)))
        .onCommand(Redrive.class, (state, redrive) -> leaveAfterReply(redrive.replyTo(), new RedriveNotFound(taskId)))
        .onAnyCommand(command -> Effect().stop().thenNoReply());
    builder
        .forAnyState()
        .onCommand(Submit.class, this::resubmit)
        .onCommand(Get.class, this::get)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(Redrive.class, this::redrive)
        .onCommand(FilingEnded.class, this::filingEnded)
        .onCommand(FilingRetry.class, (state, retry) -> {
          if (state.isDeadLetterUnfiled()) fileDeadLetter(state);
          return Effect().noReply();
        })
        .onCommand(Wake.class, (state, wake) -> wake(state))
        .onCommand(TrialAnswered.class, this::trialAnswered)
        .onCommand(PermitReply.class, this::permitReply)
        .onCommand(AttemptEnded.class, this::attemptEnded)
        .onCommand(AttemptTimedOut.class, this::attemptTimedOut)
        .onCommand(AttemptLost.class, this::attemptLost)
        .onCommand(RecordCheckpoint.class, this::recordCheckpoint)
        .onCommand(Idle.class, (state, idle) -> idle(state))
        .onCommand(HandOff.class, (state, handOff) -> handOff(state));
    return builder.build();
  }

  // ---------------------------------------------------------------- asked from outside

  private ReplyEffect<Event, State> submit(State state, Submit submit) {
    Submitted submitted = new Submitted(submit.spec(), now());
    if (tookPermitAtOnce(submitted)) return submitAndStart(submitted, submit.replyTo());
    return Effect()
        .persist(submitted)
        .thenRun(accepted -> {
          runtime.metrics().submitted(accepted.spec().type());
          scheduleWake(accepted);
        })
        .thenReply(submit.replyTo(), accepted -> new Accepted(accepted.toView()));
  }

  /**
   * A new task that is due now, with its type's breaker closed, has nothing to wait for but a
   * permit: takes one at once if this node's bulkhead has a slot free and nobody waiting.
   */
  private boolean tookPermitAtOnce(Submitted submitted) {
    TaskSpec spec = submitted.spec();
    boolean due = spec.runAt() == null || !submitted.at().isBefore(spec.runAt());
    return due
        && runtime.breakers().status(spec.type()).state() == BreakerState.CLOSED
        && runtime.bulkheads().tryAcquireNow(spec.type(), context.getSelf(), FIRST_ATTEMPT);
  }

  /**
   * The fast path: one journal write for both events instead of two, and no Wake or permit round
   * trip. The reply shows the task as accepted, already RUNNING its first attempt.
   */
  private ReplyEffect<Event, State> submitAndStart(Submitted submitted, ActorRef<SubmitReply> replyTo) {
    fastStartUnwritten = submitted.spec().type();
    return Effect()
        .persist(List.of(submitted, new AttemptStarted(FIRST_ATTEMPT, runtime.nodeName(), submitted.at())))
        .thenRun(started -> {
          fastStartUnwritten = null;
          runtime.metrics().submitted(started.spec().type());
          begin(started, FIRST_ATTEMPT);
        })
        .thenReply(replyTo, started -> new Accepted(started.toView()));
  }

  /** Nothing here: answer, then leave at once so that reads of unknown ids are not remembered. */
  private <R> ReplyEffect<Event, State> leaveAfterReply(ActorRef<R> replyTo, R reply) {
    return Effect().none().thenRun(state -> passivate()).thenReply(replyTo, state -> reply);
  }

  private ReplyEffect<Event, State> resubmit(State state, Submit submit) {
    SubmitReply reply =
        state.spec().sameRequestAs(submit.spec())
            ? new AlreadySubmitted(state.toView())
            : new IdempotencyConflict(state.toView());
    return Effect().reply(submit.replyTo(), reply);
  }

  private ReplyEffect<Event, State> get(State state, Get get) {
    if (state.status().isTerminal()) scheduleIdlePassivation();
    return Effect().reply(get.replyTo(), new Found(state.toView()));
  }

  private ReplyEffect<Event, State> cancel(State state, Cancel cancel) {
    if (state.status().isTerminal()) return Effect().reply(cancel.replyTo(), new CancelRefused(state.toView()));
    if (state.status() == TaskStatus.RUNNING) {
      runningAttemptCancelled.set(true);
      if (state.cancelRequested()) return Effect().reply(cancel.replyTo(), new CancelAccepted(state.toView()));
      return Effect()
          .persist(new CancellationRequested(now()))
          .thenReply(cancel.replyTo(), requested -> new CancelAccepted(requested.toView()));
    }
    timers.cancel(WAKE_TIMER);
    return Effect()
        .persist(new Cancelled(now()))
        .thenRun(cancelled -> scheduleIdlePassivation())
        .thenReply(cancel.replyTo(), cancelled -> new CancelAccepted(cancelled.toView()));
  }

  private ReplyEffect<Event, State> redrive(State state, Redrive redrive) {
    if (!state.isRedrivable()) {
      return Effect().reply(redrive.replyTo(), new RedriveRefused(state.toView()));
    }
    timers.cancel(IDLE_TIMER);
    return Effect()
        .persist(new Redriven(redrive.retryPolicy(), now()))
        .thenRun(this::scheduleWake)
        .thenReply(redrive.replyTo(), redriven -> new RedriveAccepted(redriven.toView()));
  }

  // ---------------------------------------------------------------- the dead-letter queue

  /** At-least-once: until the queue acknowledges, the task stays remembered and tries again. */
  private void fileDeadLetter(State state) {
    context.pipeToSelf(
        runtime.deadLetters().file(state.toDeadLetterEntry()), (done, failure) -> new FilingEnded(failure == null));
  }

  private ReplyEffect<Event, State> filingEnded(State state, FilingEnded ended) {
    if (!state.isDeadLetterUnfiled()) return Effect().noReply(); // redriven meanwhile
    if (!ended.filed()) {
      timers.startSingleTimer(FILING_TIMER, new FilingRetry(), FILING_RETRY);
      return Effect().noReply();
    }
    return Effect().persist(new DeadLetterFiled(now())).thenRun(filed -> scheduleIdlePassivation()).thenNoReply();
  }

  // ---------------------------------------------------------------- an attempt's life

  private ReplyEffect<Event, State> wake(State state) {
    if (!state.isWaiting()) return Effect().noReply();
    if (state.nextAttemptAt() != null && now().isBefore(state.nextAttemptAt())) {
      scheduleWake(state); // early (a timer from an older schedule): wait for the right time
      return Effect().noReply();
    }
    int attempt = state.attempts() + 1;
    if (permitAskedFor == attempt || trialAskedFor == attempt) return Effect().noReply();
    Optional<TaskType> type = runtime.types().find(state.spec().type());
    if (type.isEmpty()) return startAttempt(attempt); // fails at once, as UNKNOWN_TASK_TYPE
    BreakerStatus breaker = runtime.breakers().status(type.get().name());
    BreakerState breakerState = breaker.state();
    switch (breakerState) {
      case OPEN -> {
        return defer(later(breaker.halfOpenAt()), "the circuit breaker of '" + type.get().name() + "' is open");
      }
      case FORCED_OPEN -> {
        return defer(later(now().plus(FORCED_OPEN_RECHECK)), "the circuit breaker of '" + type.get().name() + "' is forced open");
      }
      case HALF_OPEN -> {
        trialAskedFor = attempt;
        context.pipeToSelf(
            runtime.breakers().requestTrial(type.get().name()),
            (decision, failure) -> new TrialAnswered(attempt, failure == null && decision.granted()));
        return Effect().noReply();
      }
      case CLOSED -> {
        askPermit(state, type.get(), attempt);
        return Effect().noReply();
      }
    }
    throw new IllegalStateException("unknown breaker state " + breakerState);
  }

  private ReplyEffect<Event, State> trialAnswered(State state, TrialAnswered answer) {
    if (trialAskedFor == answer.attempt()) trialAskedFor = 0;
    boolean stillDue = state.isWaiting() && state.attempts() + 1 == answer.attempt();
    if (!stillDue) return Effect().noReply(); // an unused trial: the breaker gives up on it in time
    if (!answer.granted()) {
      return defer(later(now().plus(HALF_OPEN_RECHECK)), "the circuit breaker of '" + state.spec().type()
          + "' is half-open and its trial attempts are taken");
    }
    trialAttempt = answer.attempt();
    runtime.types().find(state.spec().type()).ifPresent(type -> askPermit(state, type, answer.attempt()));
    return Effect().noReply();
  }

  private void askPermit(State state, TaskType type, int attempt) {
    permitAskedFor = attempt;
    runtime
        .bulkheads()
        .admission(type.name())
        .tell(new Bulkhead.Acquire(context.getSelf(), attempt, state.spec().priority(), permitReplies));
  }

  /** Waits for the breaker without spending an attempt. */
  private ReplyEffect<Event, State> defer(Instant until, String reason) {
    return Effect().persist(new Deferred(until, reason, now())).thenRun(this::scheduleWake).thenNoReply();
  }

  /** {@code at} plus a little jitter, so that deferred tasks do not all come back at once. */
  private Instant later(Instant at) {
    Instant base = at == null || at.isBefore(now()) ? now() : at;
    return base.plusMillis(runtime.random().nextLong(DEFERRAL_JITTER.toMillis() + 1));
  }

  private ReplyEffect<Event, State> permitReply(State state, PermitReply reply) {
    if (reply.reply() instanceof Bulkhead.Rejected rejected) {
      if (permitAskedFor == rejected.attempt()) permitAskedFor = 0;
      Duration jitter = Duration.ofMillis(runtime.random().nextLong(500));
      timers.startSingleTimer(WAKE_TIMER, Wake.INSTANCE, BULKHEAD_FULL_RETRY.plus(jitter));
      return Effect().noReply();
    }
    int attempt = ((Bulkhead.Granted) reply.reply()).attempt();
    if (permitAskedFor == attempt) permitAskedFor = 0;
    boolean stillDue =
        state.isWaiting()
            && state.attempts() + 1 == attempt
            && (state.nextAttemptAt() == null || !now().isBefore(state.nextAttemptAt()));
    if (!stillDue) {
      release(state.spec().type(), attempt); // cancelled, or started already, meanwhile
      return Effect().noReply();
    }
    return startAttempt(attempt);
  }

  private ReplyEffect<Event, State> startAttempt(int attempt) {
    return Effect()
        .persist(new AttemptStarted(attempt, runtime.nodeName(), now()))
        .thenRun(started -> begin(started, attempt))
        .thenNoReply();
  }

  /** {@link AttemptStarted} is persisted: counts a first start and runs the handler. */
  private void begin(State started, int attempt) {
    countFirstStart(started);
    launch(started, attempt);
  }

  private ReplyEffect<Event, State> attemptEnded(State state, AttemptEnded ended) {
    release(state.spec().type(), ended.attempt()); // the handler has returned: its thread is free again
    if (handingOff) return handedOff(state, ended);
    if (!isRunning(state, ended.attempt())) return Effect().noReply(); // timed out or lost before
    timers.cancel(TIMEOUT_TIMER);
    AttemptResult result = ended.result();
    reportToBreaker(state, ended.attempt(), result);
    if (result instanceof AttemptResult.Succeeded ok) {
      // A cancel that came too late to stop the work does not hide its result.
      return Effect()
          .persist(new AttemptSucceeded(ended.attempt(), ok.result(), now()))
          .thenRun(countAttempt(done -> scheduleIdlePassivation()))
          .thenNoReply();
    }
    if (state.cancelRequested()) return endCancelled(state, AttemptOutcome.CANCELLED, cancelledError());
    if (result instanceof AttemptResult.RateLimited limited) return rateLimited(state, limited);
    AttemptResult.Failed failed = (AttemptResult.Failed) result;
    Duration delay =
        failed.retryAfter() != null ? capped(state, failed.retryAfter()) : backoff(state, ended.attempt());
    return fail(state, AttemptOutcome.FAILED, failed.error(), delay);
  }

  /**
   * The shard moves: a task whose attempt runs here tells the handler to stop and stays until it
   * has returned; anything else stops at once (a backoff or deferral resumes from the journal).
   */
  private ReplyEffect<Event, State> handOff(State state) {
    boolean runsHere = isRunning(state, launchedAttempt) && !handingOff;
    if (!runsHere) return handingOff ? Effect().noReply() : Effect().stop().thenNoReply();
    handingOff = true;
    runningAttemptCancelled.set(true);
    return Effect().noReply();
  }

  /**
   * The attempt stopped for a hand-off: a result it still delivered is kept; otherwise it is
   * recorded HANDED_OFF, not counted, and due again at once wherever the task starts next.
   */
  private ReplyEffect<Event, State> handedOff(State state, AttemptEnded ended) {
    if (!isRunning(state, ended.attempt())) return Effect().stop().thenNoReply();
    timers.cancel(TIMEOUT_TIMER);
    Instant at = now();
    Event end =
        ended.result() instanceof AttemptResult.Succeeded ok
            ? new AttemptSucceeded(ended.attempt(), ok.result(), at)
            : new AttemptFailed(ended.attempt(), AttemptOutcome.HANDED_OFF, handedOffError(), at, false, at);
    return Effect().persist(end).thenRun(countAttempt(done -> {})).thenStop().thenNoReply();
  }

  private TaskError handedOffError() {
    return new TaskError(
        AttemptOutcome.HANDED_OFF.name(), "stopped on " + runtime.nodeName() + " because the task moved to another node",
        true);
  }

  private ReplyEffect<Event, State> attemptTimedOut(State state, AttemptTimedOut timedOut) {
    if (!isRunning(state, timedOut.attempt())) return Effect().noReply();
    if (handingOff) {
      // Told to stop and still running at its deadline: the shard must not wait any longer.
      return handedOff(state, new AttemptEnded(timedOut.attempt(), new AttemptResult.Failed(handedOffError())));
    }
    runningAttemptCancelled.set(true);
    // The permit stays held until the handler returns: its thread is still busy until then.
    TaskError error = TaskError.timedOut(state.spec().attemptTimeoutMs());
    runtime.breakers().report(state.spec().type(), true, isTrial(timedOut.attempt()));
    if (state.cancelRequested()) return endCancelled(state, AttemptOutcome.TIMED_OUT, error);
    return fail(state, AttemptOutcome.TIMED_OUT, error, backoff(state, timedOut.attempt()));
  }

  private ReplyEffect<Event, State> attemptLost(State state, AttemptLost lost) {
    if (!isRunning(state, lost.attempt())) return Effect().noReply();
    TaskError error = TaskError.nodeLost(state.lastAttempt().node());
    if (state.cancelRequested()) return endCancelled(state, AttemptOutcome.NODE_LOST, error);
    // The node is gone and detecting that took seconds already: try again at once.
    return fail(state, AttemptOutcome.NODE_LOST, error, Duration.ZERO);
  }

  private ReplyEffect<Event, State> recordCheckpoint(State state, RecordCheckpoint checkpoint) {
    if (!isRunning(state, checkpoint.attempt())) {
      return Effect()
          .reply(checkpoint.replyTo(), StatusReply.error("attempt " + checkpoint.attempt() + " is no longer running"));
    }
    return Effect()
        .persist(new CheckpointRecorded(checkpoint.attempt(), checkpoint.state(), now()))
        .thenReply(checkpoint.replyTo(), recorded -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> idle(State state) {
    if (state.status().isTerminal() && !state.isDeadLetterUnfiled()) passivate();
    return Effect().noReply();
  }

  /** Records the failed attempt; retries after {@code delay} while attempts and hope remain. */
  private ReplyEffect<Event, State> fail(State state, AttemptOutcome outcome, TaskError error, Duration delay) {
    int attempt = state.lastAttempt().number();
    int maxAttempts = state.spec().retryPolicy().maxAttempts();
    long counted = state.countedAttempts(); // the running attempt included
    Instant at = now();
    if (error.retryable() && counted < maxAttempts) {
      return Effect()
          .persist(new AttemptFailed(attempt, outcome, error, at.plus(delay), true, at))
          .thenRun(countAttempt(this::scheduleWake))
          .thenNoReply();
    }
    String reason =
        error.retryable()
            ? "attempts exhausted (" + counted + " of " + maxAttempts + ")"
            : "permanent failure: " + error.type();
    return Effect()
        .persist(List.of(new AttemptFailed(attempt, outcome, error, null, true, at), new DeadLettered(reason, at)))
        .thenRun(countAttempt(this::deadLettered))
        .thenNoReply();
  }

  /** Told to come back later: the attempt does not count, and the policy's cap still holds. */
  private ReplyEffect<Event, State> rateLimited(State state, AttemptResult.RateLimited limited) {
    Instant at = now();
    TaskError error = new TaskError("RATE_LIMITED", limited.message(), true);
    Instant next = at.plus(capped(state, limited.retryAfter()));
    return Effect()
        .persist(new AttemptFailed(state.lastAttempt().number(), AttemptOutcome.FAILED, error, next, false, at))
        .thenRun(countAttempt(this::scheduleWake))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> endCancelled(State state, AttemptOutcome outcome, TaskError error) {
    Instant at = now();
    return Effect()
        .persist(
            List.of(
                new AttemptFailed(state.lastAttempt().number(), outcome, error, null, true, at),
                new Cancelled(at)))
        .thenRun(countAttempt(done -> scheduleIdlePassivation()))
        .thenNoReply();
  }

  /**
   * Only retryable failures (and timeouts, reported where they happen) count against a breaker.
   * A permanent error means the other side answered: it counts for nothing, except that a
   * half-open trial that meets one has shown the other side alive.
   */
  private void reportToBreaker(State state, int attempt, AttemptResult result) {
    boolean trial = isTrial(attempt);
    String type = state.spec().type();
    if (result instanceof AttemptResult.Succeeded) {
      runtime.breakers().report(type, false, trial);
    } else if (result instanceof AttemptResult.Failed failed) {
      if (failed.error().retryable()) runtime.breakers().report(type, true, trial);
      else if (trial) runtime.breakers().report(type, false, true);
    }
  }

  private boolean isTrial(int attempt) {
    return trialAttempt == attempt;
  }

  // ---------------------------------------------------------------- metrics
  // Counted in thenRun, once the events are persisted, on the node that ran the command: a replay
  // (a restart, or the task resuming on another node) counts nothing again.

  private void countFirstStart(State started) {
    Attempt first = started.lastAttempt();
    if (first.number() != FIRST_ATTEMPT) return;
    // A requested delay (delayMs, runAt) is not waiting: count from when the task was due.
    Instant runAt = started.spec().runAt();
    Instant due = runAt != null && runAt.isAfter(started.createdAt()) ? runAt : started.createdAt();
    long waitMs = Math.max(0, Duration.between(due, first.startedAt()).toMillis());
    runtime.metrics().firstAttemptStarted(started.spec().type(), waitMs);
  }

  /** Counts the attempt whose end was just persisted, then runs {@code then}. */
  private Procedure<State> countAttempt(Procedure<State> then) {
    return ended -> {
      Attempt attempt = ended.lastAttempt();
      boolean rateLimited = attempt.outcome() == AttemptOutcome.FAILED && !attempt.counted();
      String outcome = rateLimited ? TaskMetrics.RATE_LIMITED : attempt.outcome().name();
      runtime.metrics().attemptEnded(
          ended.spec().type(), outcome, Duration.between(attempt.startedAt(), attempt.endedAt()).toMillis());
      then.apply(ended);
    };
  }

  private void deadLettered(State state) {
    runtime.metrics().deadLettered(state.spec().type());
    fileDeadLetter(state);
  }

  // ---------------------------------------------------------------- effects outside the journal

  private void onRecovered(State state) {
    releaseFastStartOfFailedWrite();
    if (!state.isSubmitted()) return;
    switch (state.status()) {
      case RUNNING -> context.getSelf().tell(new AttemptLost(state.lastAttempt().number()));
      case PENDING, RETRY_WAIT, DEFERRED -> scheduleWake(state);
      case DEAD_LETTERED -> {
        if (state.isDeadLetterUnfiled()) fileDeadLetter(state);
        else scheduleIdlePassivation();
      }
      case SUCCEEDED, CANCELLED -> scheduleIdlePassivation();
    }
  }

  /**
   * Recovering after a failed write of a fast start: its handler never ran, so its permit goes
   * back. A retried Submit starts over; events that were written after all end as NODE_LOST.
   */
  private void releaseFastStartOfFailedWrite() {
    if (fastStartUnwritten == null) return;
    release(fastStartUnwritten, FIRST_ATTEMPT);
    fastStartUnwritten = null;
  }

  private void launch(State state, int attempt) {
    AtomicBoolean cancelled = new AtomicBoolean(state.cancelRequested());
    runningAttemptCancelled = cancelled;
    launchedAttempt = attempt;
    long timeoutMs = state.spec().attemptTimeoutMs();
    TaskContext taskContext =
        new TaskContext(
            taskId,
            state.spec().type(),
            state.spec().payload(),
            attempt,
            state.lastAttempt().startedAt().plusMillis(timeoutMs),
            state.checkpoint(),
            cancelled::get,
            checkpointer(attempt));
    CompletionStage<AttemptResult> outcome =
        runtime
            .types()
            .find(state.spec().type())
            .map(
                type ->
                    AttemptRunner.run(
                        type.handler(), type.classifier(), taskContext, runtime.bulkheads().executor(type.name())))
            .orElseGet(() -> unknownType(state.spec().type()));
    context.pipeToSelf(
        outcome,
        (result, failure) ->
            new AttemptEnded(
                attempt,
                result != null
                    ? result
                    : new AttemptResult.Failed(
                        new TaskError(failure.getClass().getSimpleName(), String.valueOf(failure.getMessage()), true))));
    timers.startSingleTimer(TIMEOUT_TIMER, new AttemptTimedOut(attempt), Duration.ofMillis(timeoutMs));
  }

  /** Called on the handler's thread: asks this entity to persist, and waits for the journal. */
  private TaskContext.Checkpointer checkpointer(int attempt) {
    ActorRef<Command> self = context.getSelf();
    Scheduler scheduler = context.getSystem().scheduler();
    return state ->
        AskPattern.<Command, Done>askWithStatus(
                self, replyTo -> new RecordCheckpoint(attempt, state, replyTo), CHECKPOINT_TIMEOUT, scheduler)
            .toCompletableFuture()
            .get();
  }

  private static CompletionStage<AttemptResult> unknownType(String type) {
    return CompletableFuture.completedFuture(
        new AttemptResult.Failed(
            new TaskError("UNKNOWN_TASK_TYPE", "this node has no task type '" + type + "' configured", false)));
  }

  private void release(String type, int attempt) {
    runtime
        .types()
        .find(type)
        .ifPresent(known -> runtime.bulkheads().admission(known.name()).tell(new Bulkhead.Release(context.getSelf(), attempt)));
  }

  private void scheduleWake(State state) {
    Instant due = state.nextAttemptAt();
    Duration delay = due == null ? Duration.ZERO : Duration.between(now(), due);
    timers.startSingleTimer(WAKE_TIMER, Wake.INSTANCE, delay.isNegative() ? Duration.ZERO : delay);
  }

  private void scheduleIdlePassivation() {
    timers.startSingleTimer(IDLE_TIMER, Idle.INSTANCE, runtime.passivateTerminalAfter());
  }

  private void passivate() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private static boolean isRunning(State state, int attempt) {
    return state.status() == TaskStatus.RUNNING && state.lastAttempt().number() == attempt;
  }

  private Duration backoff(State state, int failedAttempt) {
    return Duration.ofMillis(
        state.spec().retryPolicy().delayAfterAttemptMs(failedAttempt, state.lastBackoffMs(), runtime.random()));
  }

  /** A handler's own retry-after wins over the policy, but never beyond the policy's cap. */
  private static Duration capped(State state, Duration requested) {
    long ms = Math.max(0, Math.min(requested.toMillis(), state.spec().retryPolicy().maxDelayMs()));
    return Duration.ofMillis(ms);
  }

  private static TaskError cancelledError() {
    return new TaskError("CANCELLED", "the task was cancelled while this attempt ran", false);
  }

  private Instant now() {
    return runtime.clock().instant();
  }
}
