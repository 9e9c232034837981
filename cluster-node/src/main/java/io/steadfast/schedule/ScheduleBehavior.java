package io.steadfast.schedule;

import io.steadfast.protocol.api.ApiTime;
import io.steadfast.schedule.ScheduleEntity.AlreadyExists;
import io.steadfast.schedule.ScheduleEntity.Command;
import io.steadfast.schedule.ScheduleEntity.Conflict;
import io.steadfast.schedule.ScheduleEntity.Create;
import io.steadfast.schedule.ScheduleEntity.Created;
import io.steadfast.schedule.ScheduleEntity.Delete;
import io.steadfast.schedule.ScheduleEntity.Event;
import io.steadfast.schedule.ScheduleEntity.Found;
import io.steadfast.schedule.ScheduleEntity.Get;
import io.steadfast.schedule.ScheduleEntity.ManualSubmitted;
import io.steadfast.schedule.ScheduleEntity.NotFound;
import io.steadfast.schedule.ScheduleEntity.OverlapChecked;
import io.steadfast.schedule.ScheduleEntity.Pause;
import io.steadfast.schedule.ScheduleEntity.Reply;
import io.steadfast.schedule.ScheduleEntity.Resume;
import io.steadfast.schedule.ScheduleEntity.ScheduleCreated;
import io.steadfast.schedule.ScheduleEntity.ScheduleDeleted;
import io.steadfast.schedule.ScheduleEntity.SchedulePaused;
import io.steadfast.schedule.ScheduleEntity.ScheduleResumed;
import io.steadfast.schedule.ScheduleEntity.State;
import io.steadfast.schedule.ScheduleEntity.Status;
import io.steadfast.schedule.ScheduleEntity.TaskAnswer;
import io.steadfast.schedule.ScheduleEntity.Tick;
import io.steadfast.schedule.ScheduleEntity.TickFired;
import io.steadfast.schedule.ScheduleEntity.TickSubmitted;
import io.steadfast.schedule.ScheduleEntity.TicksSkipped;
import io.steadfast.schedule.ScheduleEntity.TriggerFailed;
import io.steadfast.schedule.ScheduleEntity.TriggerNotFound;
import io.steadfast.schedule.ScheduleEntity.TriggerNow;
import io.steadfast.schedule.ScheduleEntity.Triggered;
import io.steadfast.storage.JournalFailures;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedule entity as an actor (see {@link ScheduleEntity}): one tick at a time, it asks
 * {@link TickPlan} what is due, checks the previous run if overlaps are skipped, submits the
 * tick's task, and records the tick only once the task has answered.
 */
final class ScheduleBehavior extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, State> {
  private static final Logger log = LoggerFactory.getLogger(ScheduleBehavior.class);
  private static final String TICK_TIMER = "tick";

  private final String id;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ScheduleRuntime runtime;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** A tick is being fired (its overlap check or submission is on its way): other Ticks wait. */
  private boolean firing;
  /** Due ticks at or before this were missed while the schedule was not running: see {@link TickPlan}. */
  private Instant missedBefore;

  ScheduleBehavior(
      String id, ActorContext<Command> context, TimerScheduler<Command> timers, ScheduleRuntime runtime,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ScheduleEntity.ENTITY_KEY.name(), id), JournalFailures.restartWithBackoff());
    this.id = id;
    this.context = context;
    this.timers = timers;
    this.runtime = runtime;
    this.shard = shard;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return event instanceof ScheduleCreated || event instanceof ScheduleDeleted
        ? Set.of(ScheduleEntity.LIFECYCLE_TAG)
        : Set.of();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          missedBefore = TickPlan.missedBefore(now(), runtime.onTimeWindow());
          if (state.exists()) context.getSelf().tell(Tick.INSTANCE);
          else if (state.spec() != null) passivate(); // deleted
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forState(state -> !state.exists())
        .onCommand(Create.class, this::create)
        .onCommand(Get.class, (state, get) -> notFound(get.replyTo()))
        .onCommand(Pause.class, (state, pause) -> notFound(pause.replyTo()))
        .onCommand(Resume.class, (state, resume) -> notFound(resume.replyTo()))
        .onCommand(Delete.class, (state, delete) -> notFound(delete.replyTo()))
        .onCommand(TriggerNow.class, (state, trigger) -> Effect().reply(trigger.replyTo(), new TriggerNotFound(id)))
        .onAnyCommand(command -> Effect().noReply());
    builder
        .forAnyState()
        .onCommand(Create.class, this::createAgain)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), found(state)))
        .onCommand(Pause.class, this::pause)
        .onCommand(Resume.class, this::resume)
        .onCommand(Delete.class, this::delete)
        .onCommand(TriggerNow.class, this::triggerNow)
        .onCommand(ManualSubmitted.class, this::manualSubmitted)
        .onCommand(Tick.class, (state, tick) -> tick(state))
        .onCommand(OverlapChecked.class, this::overlapChecked)
        .onCommand(TickSubmitted.class, this::tickSubmitted);
    return builder.build();
  }

  // ---------------------------------------------------------------- asked from outside

  private ReplyEffect<Event, State> create(State state, Create create) {
    return Effect()
        .persist(new ScheduleCreated(create.spec(), now()))
        .thenRun(created -> context.getSelf().tell(Tick.INSTANCE))
        .thenReply(create.replyTo(), created -> new Created(view(created)));
  }

  private ReplyEffect<Event, State> createAgain(State state, Create create) {
    ScheduleEntity.CreateReply reply =
        state.spec().sameAs(create.spec()) ? new AlreadyExists(view(state)) : new Conflict(view(state));
    return Effect().reply(create.replyTo(), reply);
  }

  private ReplyEffect<Event, State> pause(State state, Pause pause) {
    if (state.status() == Status.PAUSED) return Effect().reply(pause.replyTo(), found(state));
    timers.cancel(TICK_TIMER);
    return Effect().persist(new SchedulePaused(now())).thenReply(pause.replyTo(), this::found);
  }

  private ReplyEffect<Event, State> resume(State state, Resume resume) {
    if (state.status() == Status.ACTIVE) return Effect().reply(resume.replyTo(), found(state));
    return Effect()
        .persist(new ScheduleResumed(now()))
        .thenRun(resumed -> context.getSelf().tell(Tick.INSTANCE))
        .thenReply(resume.replyTo(), this::found);
  }

  private ReplyEffect<Event, State> delete(State state, Delete delete) {
    timers.cancel(TICK_TIMER);
    return Effect()
        .persist(new ScheduleDeleted(now()))
        .thenRun(deleted -> passivate())
        .thenReply(delete.replyTo(), this::found);
  }

  /** A manual run: its own key (the time asked), recorded once the task has answered. */
  private ReplyEffect<Event, State> triggerNow(State state, TriggerNow trigger) {
    Instant at = now();
    String key = state.spec().idempotencyKeyFor("manual:" + ApiTime.format(at));
    String taskId = TaskSpec.idFor(key);
    context.pipeToSelf(runtime.tasks().submit(taskId, state.spec().taskFor(key)),
        (reply, failure) -> new ManualSubmitted(at, taskId, answer(reply), trigger.replyTo()));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> manualSubmitted(State state, ManualSubmitted submitted) {
    if (submitted.task() == null || submitted.task().conflict()) {
      return Effect().reply(submitted.replyTo(), new TriggerFailed("the task did not answer in time; try again"));
    }
    return Effect()
        .persist(new TickFired(submitted.at(), submitted.taskId(), "MANUAL", now()))
        .thenReply(submitted.replyTo(), fired -> new Triggered(submitted.task().task()));
  }

  // ---------------------------------------------------------------- ticks

  private ReplyEffect<Event, State> tick(State state) {
    if (firing || state.status() != Status.ACTIVE) return Effect().noReply();
    Instant now = now();
    TickPlan.Decision decision =
        TickPlan.decide(state.spec().schedule(), state.spec().catchUp(), state.cursor(), now, missedBefore);
    if (decision instanceof TickPlan.WaitUntil wait) {
      if (wait.at() != null) timers.startSingleTimer(TICK_TIMER, Tick.INSTANCE, Duration.between(now, wait.at()));
      return Effect().noReply();
    }
    if (decision instanceof TickPlan.SkipMissed missed) {
      log.info("schedule '{}': {} ticks missed while it could not fire, up to {}, skipped (catch-up SKIP)",
          id, missed.count(), missed.upTo());
      return Effect()
          .persist(new TicksSkipped(missed.upTo(), missed.count(), "missed while the schedule could not fire", now))
          .thenRun(skipped -> context.getSelf().tell(Tick.INSTANCE))
          .thenNoReply();
    }
    TickPlan.Fire fire = (TickPlan.Fire) decision;
    firing = true;
    if (state.spec().overlap() == ScheduleSpec.Overlap.SKIP && state.lastTaskId() != null) {
      context.pipeToSelf(runtime.tasks().get(state.lastTaskId()), (reply, failure) -> new OverlapChecked(fire,
          failure != null || reply instanceof TaskEntity.Found found && !found.task().status().isTerminal()));
    } else {
      submit(state, fire);
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> overlapChecked(State state, OverlapChecked checked) {
    if (!checked.previousUnfinished()) {
      submit(state, checked.fire());
      return Effect().noReply();
    }
    TickPlan.Fire fire = checked.fire();
    return recordAndGoOn(List.of(new TicksSkipped(fire.tick(), fire.skippedBefore() + 1,
        "the previous run (task " + state.lastTaskId() + ") has not ended (overlap SKIP)", now())));
  }

  private void submit(State state, TickPlan.Fire fire) {
    String key = state.spec().idempotencyKeyFor(ApiTime.format(fire.tick()));
    String taskId = TaskSpec.idFor(key);
    context.pipeToSelf(runtime.tasks().submit(taskId, state.spec().taskFor(key)),
        (reply, failure) -> new TickSubmitted(fire, taskId, answer(reply)));
  }

  private ReplyEffect<Event, State> tickSubmitted(State state, TickSubmitted submitted) {
    TickPlan.Fire fire = submitted.fire();
    if (submitted.task() == null) {
      // Not answered: maybe submitted, maybe not. The same key again finds out, without a double.
      firing = false;
      timers.startSingleTimer(TICK_TIMER, Tick.INSTANCE, ScheduleRuntime.RETRY_SUBMIT_AFTER);
      return Effect().noReply();
    }
    List<Event> events = new ArrayList<>();
    Instant now = now();
    if (fire.skippedBefore() > 0) {
      String why = fire.catchUp()
          ? "missed while the schedule could not fire: one run stands for them (catch-up RUN_ONCE)"
          : "late: only the latest due tick runs";
      events.add(new TicksSkipped(fire.tick(), fire.skippedBefore(), why, now));
    }
    if (submitted.task().conflict()) {
      events.add(new TicksSkipped(fire.tick(), 1, "its key was used by an earlier schedule with this id", now));
    } else {
      events.add(new TickFired(fire.tick(), submitted.taskId(), fire.catchUp() ? "CATCH_UP" : "SCHEDULED", now));
    }
    return recordAndGoOn(events);
  }

  /** The tick is dealt with: records it, then looks at what is due next. */
  private ReplyEffect<Event, State> recordAndGoOn(List<Event> events) {
    return Effect()
        .persist(events)
        .thenRun(recorded -> {
          firing = false;
          context.getSelf().tell(Tick.INSTANCE);
        })
        .thenNoReply();
  }

  // ---------------------------------------------------------------- helpers

  private static TaskAnswer answer(TaskEntity.SubmitReply reply) {
    if (reply instanceof TaskEntity.Accepted accepted) return new TaskAnswer(accepted.task(), false);
    if (reply instanceof TaskEntity.AlreadySubmitted existing) return new TaskAnswer(existing.task(), false);
    if (reply instanceof TaskEntity.IdempotencyConflict conflict) return new TaskAnswer(conflict.existing(), true);
    return null;
  }

  private ReplyEffect<Event, State> notFound(ActorRef<Reply> replyTo) {
    return Effect().reply(replyTo, new NotFound(id));
  }

  private Reply found(State state) {
    return new Found(view(state));
  }

  private io.steadfast.protocol.api.ScheduleView view(State state) {
    return state.toView(now(), ScheduleRuntime.NEXT_FIRE_TIMES, runtime.nodeName());
  }

  private void passivate() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private Instant now() {
    return runtime.clock().instant();
  }
}
