package io.steadfast.task;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.execution.AttemptResult;
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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
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
 */
public final class TaskEntity
    extends EventSourcedBehaviorWithEnforcedReplies<TaskEntity.Command, TaskEntity.Event, TaskEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Task");

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Accept a new task; a second Submit with the same id is an idempotent resubmission. */
  public record Submit(TaskSpec spec, ActorRef<SubmitReply> replyTo) implements Command {}

  public record Get(ActorRef<GetReply> replyTo) implements Command {}

  /** Start the next attempt if one is due (after submission, a backoff, or recovery). */
  enum Wake implements Command {
    INSTANCE
  }

  /** The handler of attempt {@code attempt} returned. */
  record AttemptEnded(int attempt, AttemptResult result) implements Command {}

  record AttemptTimedOut(int attempt) implements Command {}

  /** Found on recovery: attempt {@code attempt} was running when the previous incarnation died. */
  record AttemptLost(int attempt) implements Command {}

  /** From a handler, off the actor thread: persist progress of attempt {@code attempt}. */
  record RecordCheckpoint(int attempt, JsonNode state, ActorRef<StatusReply<Done>> replyTo) implements Command {}

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

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  public record Submitted(TaskSpec spec, Instant at) implements Event {}

  public record AttemptStarted(int attempt, String node, Instant at) implements Event {}

  public record AttemptSucceeded(int attempt, JsonNode result, Instant at) implements Event {}

  /** A handler's progress; the next attempt, on any node, starts from it. */
  public record CheckpointRecorded(int attempt, JsonNode state, Instant at) implements Event {}

  /** @param nextAttemptAt when the next attempt is due; null when there will be none */
  public record AttemptFailed(
      int attempt, AttemptOutcome outcome, TaskError error, Instant nextAttemptAt, Instant at)
      implements Event {}

  public record DeadLettered(String reason, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /** One attempt as recorded; {@code endedAt} and {@code outcome} are null while it runs. */
  public record Attempt(
      int number, String node, Instant startedAt, Instant endedAt, AttemptOutcome outcome, TaskError error)
      implements CborSerializable {

    Attempt ended(AttemptOutcome outcome, TaskError error, Instant at) {
      return new Attempt(number, node, startedAt, at, outcome, error);
    }

    AttemptView toView() {
      return new AttemptView(
          number, node, ApiTime.format(startedAt), ApiTime.format(endedAt), outcome, error);
    }
  }

  /** Immutable; {@code spec == null} until the task is submitted. */
  public record State(
      String taskId,
      TaskSpec spec,
      TaskStatus status,
      Instant createdAt,
      Instant updatedAt,
      Instant nextAttemptAt,
      TaskError lastError,
      JsonNode result,
      JsonNode checkpoint,
      List<Attempt> history)
      implements CborSerializable {

    static State empty(String taskId) {
      return new State(taskId, null, null, null, null, null, null, null, null, List.of());
    }

    @JsonIgnore
    public boolean isSubmitted() {
      return spec != null;
    }

    public int attempts() {
      return history.size();
    }

    /** The attempt started last, or null before the first. */
    public Attempt lastAttempt() {
      return history.isEmpty() ? null : history.get(history.size() - 1);
    }

    State apply(Event event) {
      if (event instanceof Submitted e) {
        return new State(taskId, e.spec(), TaskStatus.PENDING, e.at(), e.at(), null, null, null, null, List.of());
      } else if (event instanceof AttemptStarted e) {
        Attempt started = new Attempt(e.attempt(), e.node(), e.at(), null, null, null);
        return new State(
            taskId, spec, TaskStatus.RUNNING, createdAt, e.at(), null, lastError, result, checkpoint,
            appended(started));
      } else if (event instanceof CheckpointRecorded e) {
        return new State(
            taskId, spec, status, createdAt, e.at(), nextAttemptAt, lastError, result, e.state(), history);
      } else if (event instanceof AttemptSucceeded e) {
        Attempt ended = lastAttempt().ended(AttemptOutcome.SUCCEEDED, null, e.at());
        return new State(
            taskId, spec, TaskStatus.SUCCEEDED, createdAt, e.at(), null, lastError, e.result(), checkpoint,
            lastReplaced(ended));
      } else if (event instanceof AttemptFailed e) {
        Attempt ended = lastAttempt().ended(e.outcome(), e.error(), e.at());
        return new State(
            taskId, spec, TaskStatus.RETRY_WAIT, createdAt, e.at(), e.nextAttemptAt(), e.error(), result,
            checkpoint, lastReplaced(ended));
      } else if (event instanceof DeadLettered e) {
        return new State(
            taskId, spec, TaskStatus.DEAD_LETTERED, createdAt, e.at(), null, lastError, result, checkpoint,
            history);
      }
      throw new IllegalArgumentException("unknown event " + event);
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

    public TaskView toView() {
      return new TaskView(
          taskId,
          spec.type(),
          status,
          spec.payload(),
          history.size(),
          spec.retryPolicy().maxAttempts(),
          spec.retryPolicy(),
          spec.attemptTimeoutMs(),
          ApiTime.format(createdAt),
          ApiTime.format(updatedAt),
          ApiTime.format(nextAttemptAt),
          lastError,
          result,
          history.stream().map(Attempt::toView).toList());
    }
  }

  // ---------------------------------------------------------------- wiring

  public static void init(ActorSystem<?> system, TaskRuntime runtime) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, entity -> create(entity.getEntityId(), runtime, entity.getShard())));
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
  private static final Duration CHECKPOINT_TIMEOUT = Duration.ofSeconds(10);

  private final String taskId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final TaskRuntime runtime;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** Tells the running attempt's handler to stop; not state: an attempt lives in one incarnation. */
  private AtomicBoolean runningAttemptCancelled = new AtomicBoolean();

  private TaskEntity(
      String taskId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      TaskRuntime runtime,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), taskId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.taskId = taskId;
    this.context = context;
    this.timers = timers;
    this.runtime = runtime;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return State.empty(taskId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(runtime.snapshotEvery(), 2);
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
        .onCommand(Get.class, (state, get) -> notFound(get))
        .onAnyCommand(command -> Effect().stop().thenNoReply());
    builder
        .forAnyState()
        .onCommand(Submit.class, this::resubmit)
        .onCommand(Get.class, this::get)
        .onCommand(Wake.class, (state, wake) -> wake(state))
        .onCommand(AttemptEnded.class, this::attemptEnded)
        .onCommand(AttemptTimedOut.class, this::attemptTimedOut)
        .onCommand(AttemptLost.class, this::attemptLost)
        .onCommand(RecordCheckpoint.class, this::recordCheckpoint)
        .onCommand(Idle.class, (state, idle) -> idle(state));
    return builder.build();
  }

  // ---------------------------------------------------------------- command handlers

  private ReplyEffect<Event, State> submit(State state, Submit submit) {
    return Effect()
        .persist(new Submitted(submit.spec(), now()))
        .thenRun(submitted -> context.getSelf().tell(Wake.INSTANCE))
        .thenReply(submit.replyTo(), submitted -> new Accepted(submitted.toView()));
  }

  private ReplyEffect<Event, State> notFound(Get get) {
    // Nothing here: leave at once so that reads of unknown ids are not remembered.
    return Effect().none().thenRun(state -> passivate()).thenReply(get.replyTo(), state -> new NotFound(taskId));
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

  private ReplyEffect<Event, State> wake(State state) {
    boolean waiting = state.status() == TaskStatus.PENDING || state.status() == TaskStatus.RETRY_WAIT;
    if (!waiting) return Effect().noReply();
    if (state.nextAttemptAt() != null && now().isBefore(state.nextAttemptAt())) {
      scheduleWake(state);
      return Effect().noReply();
    }
    int attempt = state.attempts() + 1;
    return Effect()
        .persist(new AttemptStarted(attempt, runtime.nodeName(), now()))
        .thenRun(started -> launch(started, attempt))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> attemptEnded(State state, AttemptEnded ended) {
    if (!isRunning(state, ended.attempt())) return Effect().noReply(); // timed out or lost before
    timers.cancel(TIMEOUT_TIMER);
    if (ended.result() instanceof AttemptResult.Succeeded ok) {
      return Effect()
          .persist(new AttemptSucceeded(ended.attempt(), ok.result(), now()))
          .thenRun(done -> scheduleIdlePassivation())
          .thenNoReply();
    }
    TaskError error = ((AttemptResult.Failed) ended.result()).error();
    return fail(state, AttemptOutcome.FAILED, error, backoffAfter(state, ended.attempt()));
  }

  private ReplyEffect<Event, State> attemptTimedOut(State state, AttemptTimedOut timedOut) {
    if (!isRunning(state, timedOut.attempt())) return Effect().noReply();
    runningAttemptCancelled.set(true);
    return fail(
        state,
        AttemptOutcome.TIMED_OUT,
        TaskError.timedOut(state.spec().attemptTimeoutMs()),
        backoffAfter(state, timedOut.attempt()));
  }

  private ReplyEffect<Event, State> attemptLost(State state, AttemptLost lost) {
    if (!isRunning(state, lost.attempt())) return Effect().noReply();
    // The node is gone and detecting that took seconds already: try again at once.
    return fail(
        state, AttemptOutcome.NODE_LOST, TaskError.nodeLost(state.lastAttempt().node()), Duration.ZERO);
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
    if (state.status().isTerminal()) passivate();
    return Effect().noReply();
  }

  /** Records the failed attempt; retries after {@code delay} while attempts and hope remain. */
  private ReplyEffect<Event, State> fail(
      State state, AttemptOutcome outcome, TaskError error, Duration delay) {
    int attempt = state.lastAttempt().number();
    int maxAttempts = state.spec().retryPolicy().maxAttempts();
    Instant at = now();
    if (error.retryable() && attempt < maxAttempts) {
      return Effect()
          .persist(new AttemptFailed(attempt, outcome, error, at.plus(delay), at))
          .thenRun(this::scheduleWake)
          .thenNoReply();
    }
    String reason =
        error.retryable()
            ? "attempts exhausted (" + attempt + " of " + maxAttempts + ")"
            : "permanent failure: " + error.type();
    return Effect()
        .persist(List.of(new AttemptFailed(attempt, outcome, error, null, at), new DeadLettered(reason, at)))
        .thenRun(done -> scheduleIdlePassivation())
        .thenNoReply();
  }

  // ---------------------------------------------------------------- effects outside the journal

  private void onRecovered(State state) {
    if (!state.isSubmitted()) return;
    switch (state.status()) {
      case RUNNING -> context.getSelf().tell(new AttemptLost(state.lastAttempt().number()));
      case PENDING -> context.getSelf().tell(Wake.INSTANCE);
      case RETRY_WAIT, DEFERRED -> scheduleWake(state);
      case SUCCEEDED, DEAD_LETTERED, CANCELLED -> scheduleIdlePassivation();
    }
  }

  private void launch(State state, int attempt) {
    AtomicBoolean cancelled = new AtomicBoolean();
    runningAttemptCancelled = cancelled;
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
            .map(type -> runtime.runner().run(type.handler(), taskContext))
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
    return java.util.concurrent.CompletableFuture.completedFuture(
        new AttemptResult.Failed(
            new TaskError(
                "UNKNOWN_TASK_TYPE", "this node has no task type '" + type + "' configured", false)));
  }

  private void scheduleWake(State state) {
    Duration delay = Duration.between(now(), state.nextAttemptAt());
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

  private static Duration backoffAfter(State state, int attempt) {
    return Duration.ofMillis(state.spec().retryPolicy().delayAfterAttemptMs(attempt));
  }

  private Instant now() {
    return runtime.clock().instant();
  }
}
