package io.steadfast.workflow;

import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.storage.JournalFailures;
import io.steadfast.task.TaskEntity;
import io.steadfast.workflow.WorkflowEntity.Accepted;
import io.steadfast.workflow.WorkflowEntity.AlreadySubmitted;
import io.steadfast.workflow.WorkflowEntity.Cancel;
import io.steadfast.workflow.WorkflowEntity.CancelAccepted;
import io.steadfast.workflow.WorkflowEntity.CancelNotFound;
import io.steadfast.workflow.WorkflowEntity.CancelRefused;
import io.steadfast.workflow.WorkflowEntity.CheckSteps;
import io.steadfast.workflow.WorkflowEntity.Command;
import io.steadfast.workflow.WorkflowEntity.Event;
import io.steadfast.workflow.WorkflowEntity.Found;
import io.steadfast.workflow.WorkflowEntity.Get;
import io.steadfast.workflow.WorkflowEntity.IdempotencyConflict;
import io.steadfast.workflow.WorkflowEntity.Idle;
import io.steadfast.workflow.WorkflowEntity.NotFound;
import io.steadfast.workflow.WorkflowEntity.Phase;
import io.steadfast.workflow.WorkflowEntity.State;
import io.steadfast.workflow.WorkflowEntity.StepObserved;
import io.steadfast.workflow.WorkflowEntity.StepUnanswered;
import io.steadfast.workflow.WorkflowEntity.StepsStarted;
import io.steadfast.workflow.WorkflowEntity.Submit;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The workflow entity as an actor (see {@link WorkflowEntity}): persists what {@link
 * WorkflowRules} decide, then submits the steps that started, cancels running steps of a
 * cancelled workflow, and keeps checking its steps until nothing more can happen by itself.
 */
final class WorkflowEntityBehavior extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, State> {
  private static final String CHECK_TIMER = "check-steps";
  private static final String DEAD_LETTERED_TIMER = "check-dead-lettered";
  private static final String IDLE_TIMER = "idle";

  private final String workflowId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final WorkflowSettings settings;
  private final Function<String, RecipientRef<TaskEntity.Command>> tasks;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Clock clock = Clock.systemUTC();

  WorkflowEntityBehavior(
      String workflowId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      WorkflowSettings settings,
      Function<String, RecipientRef<TaskEntity.Command>> tasks,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(WorkflowEntity.ENTITY_KEY.name(), workflowId), JournalFailures.restartWithBackoff());
    this.workflowId = workflowId;
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.tasks = tasks;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return State.empty(workflowId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(50, 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(WorkflowEntity.TAG);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(WorkflowRules::apply);
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
        .onCommand(Get.class, (state, get) -> leaveAfterReply(get.replyTo(), new NotFound(workflowId)))
        .onCommand(Cancel.class, (state, cancel) -> leaveAfterReply(cancel.replyTo(), new CancelNotFound(workflowId)))
        .onAnyCommand(command -> Effect().stop().thenNoReply());
    builder
        .forAnyState()
        .onCommand(Submit.class, this::resubmit)
        .onCommand(Get.class, this::get)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(StepObserved.class, this::observed)
        .onCommand(CheckSteps.class, this::check)
        .onCommand(StepUnanswered.class, (state, unanswered) -> Effect().noReply())
        .onCommand(Idle.class, (state, idle) -> {
          if (state.isSettled()) passivate();
          return Effect().noReply();
        });
    return builder.build();
  }

  // ---------------------------------------------------------------- asked from outside

  private ReplyEffect<Event, State> submit(State state, Submit submit) {
    List<Event> events = WorkflowRules.submitted(state, submit.spec(), now());
    return Effect()
        .persist(events)
        .thenRun(submitted -> afterChange(submitted, events))
        .thenReply(submit.replyTo(), submitted -> new Accepted(WorkflowViews.of(submitted)));
  }

  private ReplyEffect<Event, State> resubmit(State state, Submit submit) {
    WorkflowEntity.SubmitReply reply = state.spec().sameRequestAs(submit.spec())
        ? new AlreadySubmitted(WorkflowViews.of(state))
        : new IdempotencyConflict(WorkflowViews.of(state));
    return Effect().reply(submit.replyTo(), reply);
  }

  private ReplyEffect<Event, State> get(State state, Get get) {
    if (state.isSettled()) scheduleIdlePassivation();
    return Effect().reply(get.replyTo(), new Found(WorkflowViews.of(state)));
  }

  private ReplyEffect<Event, State> cancel(State state, Cancel cancel) {
    List<Event> events = WorkflowRules.cancel(state, now());
    if (events == null) return Effect().reply(cancel.replyTo(), new CancelRefused(WorkflowViews.of(state)));
    return Effect()
        .persist(events)
        .thenRun(cancelled -> afterChange(cancelled, events))
        .thenReply(cancel.replyTo(), cancelled -> new CancelAccepted(WorkflowViews.of(cancelled)));
  }

  private <R> ReplyEffect<Event, State> leaveAfterReply(ActorRef<R> replyTo, R reply) {
    return Effect().none().thenRun(state -> passivate()).thenReply(replyTo, state -> reply);
  }

  // ---------------------------------------------------------------- hearing of steps

  private ReplyEffect<Event, State> observed(State state, StepObserved observed) {
    List<Event> events = WorkflowRules.observed(state, observed.step(), observed.task(), now());
    if (events.isEmpty()) return Effect().noReply();
    return Effect().persist(events).thenRun(after -> afterChange(after, events)).thenNoReply();
  }

  /**
   * Asks each running step's task how it is (and, when asked to, each dead-lettered one's).
   * A cancelled workflow asks its running steps to cancel instead; their answer is the same.
   */
  private ReplyEffect<Event, State> check(State state, CheckSteps check) {
    for (String step : state.stepsIn(Phase.STARTED)) {
      if (state.cancelled()) cancelStep(step);
      else submitStep(state, step);
    }
    if (check.deadLettered()) state.stepsIn(Phase.DEAD_LETTERED).forEach(step -> submitStep(state, step));
    return Effect().noReply();
  }

  /**
   * Submits a step's task; for a task that exists already (a check, a resubmission after a
   * crash) that only reads it: its id is derived, so it is the same task.
   */
  private void submitStep(State state, String step) {
    context.ask(
        TaskEntity.SubmitReply.class,
        task(step),
        settings.askTimeout(),
        replyTo -> new TaskEntity.Submit(WorkflowRules.taskOf(state, step), replyTo),
        (reply, failure) -> {
          if (reply instanceof TaskEntity.Accepted accepted) return new StepObserved(step, accepted.task());
          if (reply instanceof TaskEntity.AlreadySubmitted existing) return new StepObserved(step, existing.task());
          if (reply instanceof TaskEntity.IdempotencyConflict conflict) return new StepObserved(step, conflict.existing());
          return new StepUnanswered(step);
        });
  }

  private void cancelStep(String step) {
    context.ask(
        TaskEntity.CancelReply.class,
        task(step),
        settings.askTimeout(),
        TaskEntity.Cancel::new,
        (reply, failure) -> {
          if (reply instanceof TaskEntity.CancelAccepted accepted) return new StepObserved(step, accepted.task());
          if (reply instanceof TaskEntity.CancelRefused refused) return new StepObserved(step, refused.task());
          return new StepUnanswered(step);
        });
  }

  private RecipientRef<TaskEntity.Command> task(String step) {
    return tasks.apply(WorkflowGraph.taskIdFor(workflowId, step));
  }

  // ---------------------------------------------------------------- effects outside the journal

  /** {@code events} are persisted: steps that started are submitted; a cancel reaches running steps. */
  private void afterChange(State state, List<Event> events) {
    for (Event event : events) {
      if (event instanceof StepsStarted started) started.steps().forEach(step -> submitStep(state, step));
      if (event instanceof WorkflowEntity.WorkflowCancelled) state.stepsIn(Phase.STARTED).forEach(this::cancelStep);
    }
    scheduleChecks(state);
  }

  /** After a crash or a move, word of a step may have been lost: ask every step at once. */
  private void onRecovered(State state) {
    if (!state.isSubmitted()) return;
    context.getSelf().tell(new CheckSteps(true));
    scheduleChecks(state);
  }

  /** Checks run while something may still happen to a step; a settled workflow may leave memory. */
  private void scheduleChecks(State state) {
    if (state.stepsIn(Phase.STARTED).isEmpty()) {
      timers.cancel(CHECK_TIMER);
    } else if (!timers.isTimerActive(CHECK_TIMER)) {
      timers.startTimerWithFixedDelay(CHECK_TIMER, new CheckSteps(false), settings.checkStepsEvery());
    }
    boolean mayResume = state.status() == WorkflowStatus.FAILED && !state.stepsIn(Phase.DEAD_LETTERED).isEmpty();
    if (!mayResume) {
      timers.cancel(DEAD_LETTERED_TIMER);
    } else if (!timers.isTimerActive(DEAD_LETTERED_TIMER)) {
      timers.startTimerWithFixedDelay(DEAD_LETTERED_TIMER, new CheckSteps(true), settings.checkDeadLetteredEvery());
    }
    if (state.isSettled()) scheduleIdlePassivation();
  }

  private void scheduleIdlePassivation() {
    timers.startSingleTimer(IDLE_TIMER, Idle.INSTANCE, settings.passivateEndedAfter());
  }

  private void passivate() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private Instant now() {
    return clock.instant();
  }
}
