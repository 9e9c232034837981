package io.steadfast.breaker;

import io.steadfast.sharding.PinnedShardAllocation;
import io.steadfast.storage.JournalFailures;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.CircuitBreakerView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
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
 * The circuit breaker of one task type, for the whole cluster: a sharded, event-sourced entity
 * (entity id = task type) that persists its inputs — batches of attempt results, trials granted,
 * the passing of the reset timeout, operator resets — and replays them through {@link
 * BreakerStatus}. It survives the death of its node and of the whole cluster. Every change is
 * published on {@link #TOPIC}, so that each node's {@link BreakerBoard} decides permits from a
 * local copy and no attempt waits on this actor (only half-open trials ask it).
 */
public final class CircuitBreaker
    extends EventSourcedBehaviorWithEnforcedReplies<CircuitBreaker.Command, CircuitBreaker.Event, BreakerStatus> {
  private static final Logger log = LoggerFactory.getLogger(CircuitBreaker.class);

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "CircuitBreaker");
  public static final String TOPIC = "circuit-breaker-changes";

  // ---------------------------------------------------------------- protocol

  public sealed interface Command extends CborSerializable {}

  /** Attempt results from one node, in the order they ended there. */
  public record Record(List<Result> results) implements Command {}

  /** @param trial whether the attempt was a half-open trial (only those count while half-open) */
  public record Result(boolean failure, boolean trial) implements CborSerializable {}

  /** A task asks to run as a half-open trial. */
  public record RequestTrial(ActorRef<TrialAnswer> replyTo) implements Command {}

  public record TrialAnswer(boolean granted, BreakerBoard.Changed status) implements CborSerializable {}

  public record Get(ActorRef<CircuitBreakerView> replyTo) implements Command {}

  /** A node's board asks for the current status (at start, and now and then to heal gaps). */
  public record Sync(ActorRef<BreakerBoard.Changed> replyTo) implements Command {}

  public record Reset(ActorRef<CircuitBreakerView> replyTo) implements Command {}

  public record ForceOpen(ActorRef<CircuitBreakerView> replyTo) implements Command {}

  /** A drill: records {@code count} failures as if that many attempts had failed. */
  public record SimulateFailures(int count, ActorRef<CircuitBreakerView> replyTo) implements Command {}

  /** The reset timeout may have passed. */
  enum Tick implements Command {
    INSTANCE
  }

  /**
   * A granted trial has not reported within a reset timeout (its task was cancelled, its node
   * died, it hangs): count it as failed, or the breaker would wait for it forever.
   */
  record TrialOverdue(int trialsGrantedWhenAsked) implements Command {}

  public sealed interface Event extends CborSerializable {}

  public record ResultsRecorded(List<Result> results, Instant at) implements Event {}

  public record TrialGranted(Instant at) implements Event {}

  public record HalfOpened(Instant at) implements Event {}

  public record ResetByOperator(Instant at) implements Event {}

  public record ForcedOpenByOperator(Instant at) implements Event {}

  // ---------------------------------------------------------------- wiring

  /**
   * @param settings the breaker settings of a task type (from its configuration)
   * @param changes this node's end of the topic every change is published on
   */
  public static void init(
      ActorSystem<?> system, Function<String, BreakerSettings> settings, ActorRef<Topic.Command<BreakerBoard.Changed>> changes,
      String nodeName, Clock clock) {
    // Not remembered: every node's board asks each breaker for its status every few seconds,
    // which starts it again on a survivor soon after its node dies (and re-arms its timers).
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, entity ->
                create(entity.getEntityId(), settings.apply(entity.getEntityId()), changes, nodeName, clock))
            .withSettings(ClusterShardingSettings.create(system).withRememberEntities(false))
            .withAllocationStrategy(new PinnedShardAllocation()));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String type) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, type);
  }

  public static Behavior<Command> create(
      String type, BreakerSettings settings, ActorRef<Topic.Command<BreakerBoard.Changed>> changes, String nodeName, Clock clock) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new CircuitBreaker(type, settings, changes, nodeName, clock, context, timers)));
  }

  private static final String TICK_TIMER = "half-open";

  private final String type;
  private final BreakerSettings settings;
  private final ActorRef<Topic.Command<BreakerBoard.Changed>> changes;
  private final String nodeName;
  private final Clock clock;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;

  private CircuitBreaker(
      String type, BreakerSettings settings, ActorRef<Topic.Command<BreakerBoard.Changed>> changes, String nodeName, Clock clock,
      ActorContext<Command> context, TimerScheduler<Command> timers) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), type),
        JournalFailures.restartWithBackoff());
    this.type = type;
    this.settings = settings;
    this.changes = changes;
    this.nodeName = nodeName;
    this.clock = clock;
    this.context = context;
    this.timers = timers;
  }

  @Override
  public BreakerStatus emptyState() {
    return BreakerStatus.closed();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public EventHandler<BreakerStatus, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((BreakerStatus status, Event event) -> apply(status, event));
  }

  /** Replays an input through the machine; deterministic for the same settings. */
  private BreakerStatus apply(BreakerStatus status, Event event) {
    if (event instanceof ResultsRecorded recorded) {
      BreakerStatus next = status;
      for (Result result : recorded.results()) {
        if (next.state() == BreakerState.HALF_OPEN && !result.trial()) continue; // began before the opening
        next = result.failure() ? next.onFailure(recorded.at(), settings) : next.onSuccess(recorded.at(), settings);
      }
      return next;
    } else if (event instanceof TrialGranted granted) {
      return status.grantTrial(granted.at(), settings).status();
    } else if (event instanceof HalfOpened halfOpened) {
      return status.advance(halfOpened.at(), settings);
    } else if (event instanceof ResetByOperator reset) {
      return status.reset(reset.at(), "reset by an operator", settings);
    } else if (event instanceof ForcedOpenByOperator forced) {
      return status.forceOpen(forced.at(), "forced open by an operator", settings);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  @Override
  public SignalHandler<BreakerStatus> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), status -> {
          scheduleHalfOpen(status);
          publish(status);
        })
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, BreakerStatus> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Record.class, this::record)
        .onCommand(RequestTrial.class, this::requestTrial)
        .onCommand(Get.class, (status, get) -> Effect().reply(get.replyTo(), view(status)))
        .onCommand(Sync.class, (status, sync) -> Effect().reply(sync.replyTo(), changed(status)))
        .onCommand(Reset.class, (status, reset) -> change(status, new ResetByOperator(now()), reset.replyTo()))
        .onCommand(ForceOpen.class, (status, force) -> change(status, new ForcedOpenByOperator(now()), force.replyTo()))
        .onCommand(SimulateFailures.class, this::simulateFailures)
        .onCommand(Tick.class, (status, tick) -> tick(status))
        .onCommand(TrialOverdue.class, this::trialOverdue)
        .build();
  }

  private ReplyEffect<Event, BreakerStatus> record(BreakerStatus status, Record record) {
    ResultsRecorded event = new ResultsRecorded(record.results(), now());
    if (apply(status, event).equals(status)) return Effect().noReply(); // e.g. late results while open
    return Effect().persist(event).thenRun(after -> afterChange(status, after)).thenNoReply();
  }

  private ReplyEffect<Event, BreakerStatus> requestTrial(BreakerStatus status, RequestTrial request) {
    Instant now = now();
    BreakerStatus current = status.advance(now, settings);
    if (current.state() != status.state()) {
      // The reset timeout passed and the tick is not here yet: record that first.
      return Effect()
          .persist(List.of(new HalfOpened(now), new TrialGranted(now)))
          .thenRun(after -> {
            afterChange(status, after);
            watchTrial(after);
          })
          .thenReply(request.replyTo(), after -> answer(after, true));
    }
    if (!status.grantTrial(now, settings).granted()) {
      return Effect().reply(request.replyTo(), answer(status, false));
    }
    return Effect()
        .persist(new TrialGranted(now))
        .thenRun(after -> {
          afterChange(status, after);
          watchTrial(after);
        })
        .thenReply(request.replyTo(), after -> answer(after, true));
  }

  /** Counted like real failures (not trials: while half-open they change nothing, as late results do). */
  private ReplyEffect<Event, BreakerStatus> simulateFailures(BreakerStatus status, SimulateFailures drill) {
    log.warn("circuit breaker of '{}': recording {} simulated failures (a drill)", type, drill.count());
    List<Result> failures = java.util.Collections.nCopies(drill.count(), new Result(true, false));
    return change(status, new ResultsRecorded(failures, now()), drill.replyTo());
  }

  private void watchTrial(BreakerStatus status) {
    timers.startSingleTimer(
        "trial-" + status.trialsGranted(), new TrialOverdue(status.trialsGranted()), settings.resetTimeout());
  }

  private ReplyEffect<Event, BreakerStatus> trialOverdue(BreakerStatus status, TrialOverdue overdue) {
    boolean unanswered =
        status.state() == BreakerState.HALF_OPEN
            && status.trialsGranted() == overdue.trialsGrantedWhenAsked()
            && status.trialsSucceeded() < status.trialsGranted();
    if (!unanswered) return Effect().noReply();
    log.warn("circuit breaker of '{}': a half-open trial did not report within {}; counting it as failed",
        type, settings.resetTimeout());
    return record(status, new Record(List.of(new Result(true, true))));
  }

  private ReplyEffect<Event, BreakerStatus> tick(BreakerStatus status) {
    Instant now = now();
    if (status.advance(now, settings).equals(status)) {
      scheduleHalfOpen(status);
      return Effect().noReply();
    }
    return Effect().persist(new HalfOpened(now)).thenRun(after -> afterChange(status, after)).thenNoReply();
  }

  private ReplyEffect<Event, BreakerStatus> change(
      BreakerStatus status, Event event, ActorRef<CircuitBreakerView> replyTo) {
    return Effect().persist(event).thenRun(after -> afterChange(status, after)).thenReply(replyTo, this::view);
  }

  private void afterChange(BreakerStatus before, BreakerStatus after) {
    if (before.state() != after.state()) {
      Transition last = after.transitions().get(after.transitions().size() - 1);
      log.info("circuit breaker of '{}': {} -> {} ({})", type, last.from(), last.to(), last.reason());
    }
    scheduleHalfOpen(after);
    publish(after);
  }

  private void scheduleHalfOpen(BreakerStatus status) {
    if (status.state() == BreakerState.OPEN && status.halfOpenAt() != null) {
      Duration delay = Duration.between(now(), status.halfOpenAt());
      timers.startSingleTimer(TICK_TIMER, Tick.INSTANCE, delay.isNegative() ? Duration.ZERO : delay);
    } else {
      timers.cancel(TICK_TIMER);
    }
  }

  private void publish(BreakerStatus status) {
    changes.tell(Topic.publish(changed(status)));
  }

  private TrialAnswer answer(BreakerStatus status, boolean granted) {
    return new TrialAnswer(granted, changed(status));
  }

  private BreakerBoard.Changed changed(BreakerStatus status) {
    return new BreakerBoard.Changed(type, lastSequenceNumber(context), status);
  }

  CircuitBreakerView view(BreakerStatus status) {
    return CircuitBreakers.view(type, status, nodeName);
  }

  private Instant now() {
    return clock.instant();
  }
}
