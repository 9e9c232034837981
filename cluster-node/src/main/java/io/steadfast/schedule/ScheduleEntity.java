package io.steadfast.schedule;

import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.ScheduleView;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.sharding.PinnedShardAllocation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One schedule, sharded by its id and event sourced: its events record each tick it fired or
 * skipped, so that no tick is dealt with twice. Each tick submits a task whose idempotency key is
 * the schedule's id and the tick, so a tick submitted again after a crash (before its firing was
 * recorded) meets the task it already submitted.
 *
 * <p>Schedules are remembered by sharding (remember-entities; tasks have a wake-up index of their
 * own instead, see TaskEntity#init) and never passivate while they exist: after their node dies
 * they start again on a survivor, and after a full stop they start with the cluster, without
 * anyone asking; {@link TickPlan} then decides what the ticks missed meanwhile come to. A
 * deleted schedule passivates and is forgotten.
 *
 * <p>Here is what the entity speaks and keeps; {@link ScheduleBehavior} turns commands into
 * events and effects.
 */
public final class ScheduleEntity {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Schedule");
  /** Creations and deletions carry this tag: the list of schedules is read from it. */
  public static final String LIFECYCLE_TAG = "schedule-lifecycle";
  /** Runs kept in a schedule's view. */
  static final int RECENT_RUNS = 10;

  private ScheduleEntity() {}

  public static void init(ActorSystem<?> system, ScheduleRuntime runtime) {
    // Pinned: a schedule moved for balance would stop firing for as long as its hand-off takes.
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, entity -> create(entity.getEntityId(), runtime, entity.getShard()))
            .withAllocationStrategy(new PinnedShardAllocation()));
  }

  public static EntityRef<Command> ref(ActorSystem<?> system, String id) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, id);
  }

  static Behavior<Command> create(String id, ScheduleRuntime runtime, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new ScheduleBehavior(id, context, timers, runtime, shard)));
  }

  // ---------------------------------------------------------------- commands and replies

  public sealed interface Command extends CborSerializable {}

  public record Create(ScheduleSpec spec, ActorRef<CreateReply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public record Pause(ActorRef<Reply> replyTo) implements Command {}

  public record Resume(ActorRef<Reply> replyTo) implements Command {}

  public record Delete(ActorRef<Reply> replyTo) implements Command {}

  /** Submits the schedule's task now, whatever its ticks and overlap policy say. */
  public record TriggerNow(ActorRef<TriggerReply> replyTo) implements Command {}

  /** Time to look at the ticks due. */
  enum Tick implements Command {
    INSTANCE
  }

  /** Whether the task of the previous run has ended, for a tick that skips overlaps. */
  record OverlapChecked(TickPlan.Fire fire, boolean previousUnfinished) implements Command {}

  /** How the task of a tick answered its submission; {@code task} null when it did not answer. */
  record TickSubmitted(TickPlan.Fire fire, String taskId, TaskAnswer task) implements Command {}

  record ManualSubmitted(Instant at, String taskId, TaskAnswer task, ActorRef<TriggerReply> replyTo) implements Command {}

  /** A task's answer to a submission: its view, or that the key was used for another request. */
  record TaskAnswer(TaskView task, boolean conflict) {}

  public sealed interface CreateReply extends CborSerializable {}

  public record Created(ScheduleView schedule) implements CreateReply {}

  public record AlreadyExists(ScheduleView schedule) implements CreateReply {}

  public record Conflict(ScheduleView existing) implements CreateReply {}

  public sealed interface Reply extends CborSerializable {}

  public record Found(ScheduleView schedule) implements Reply {}

  public record NotFound(String id) implements Reply {}

  public sealed interface TriggerReply extends CborSerializable {}

  public record Triggered(TaskView task) implements TriggerReply {}

  public record TriggerNotFound(String id) implements TriggerReply {}

  /** The task did not answer (or its key was taken): nothing was recorded; it is safe to try again. */
  public record TriggerFailed(String reason) implements TriggerReply {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  public record ScheduleCreated(ScheduleSpec spec, Instant at) implements Event {}

  /** @param kind SCHEDULED, CATCH_UP or MANUAL */
  public record TickFired(Instant tick, String taskId, String kind, Instant at) implements Event {}

  /** {@code count} ticks up to {@code upTo} were not run. */
  public record TicksSkipped(Instant upTo, int count, String reason, Instant at) implements Event {}

  public record SchedulePaused(Instant at) implements Event {}

  public record ScheduleResumed(Instant at) implements Event {}

  public record ScheduleDeleted(Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  public enum Status {
    ACTIVE,
    PAUSED,
    DELETED
  }

  public record Run(Instant tick, String taskId, Instant firedAt, String kind) implements CborSerializable {}

  /**
   * Immutable; {@code spec == null} until created.
   *
   * @param cursor ticks after this are still to be dealt with; ticks at or before it fired, were
   *     skipped, or fell while the schedule was paused
   * @param lastTaskId the task of the last run, which the overlap policy looks at
   */
  public record State(
      ScheduleSpec spec,
      Status status,
      Instant createdAt,
      Instant updatedAt,
      Instant cursor,
      Instant lastTick,
      long fired,
      long skipped,
      String lastTaskId,
      List<Run> recentRuns)
      implements CborSerializable {

    static State empty() {
      return new State(null, null, null, null, null, null, 0, 0, null, List.of());
    }

    boolean exists() {
      return spec != null && status != Status.DELETED;
    }

    State apply(Event event) {
      if (event instanceof ScheduleCreated e) {
        return new State(e.spec(), Status.ACTIVE, e.at(), e.at(), e.at(), null, 0, 0, null, List.of());
      } else if (event instanceof TickFired e) {
        List<Run> runs = new ArrayList<>(recentRuns);
        runs.add(new Run(e.tick(), e.taskId(), e.at(), e.kind()));
        if (runs.size() > RECENT_RUNS) runs.remove(0);
        boolean manual = "MANUAL".equals(e.kind());
        Instant newCursor = manual || e.tick().isBefore(cursor) ? cursor : e.tick();
        return new State(spec, status, createdAt, e.at(), newCursor, manual ? lastTick : e.tick(), fired + 1, skipped,
            e.taskId(), List.copyOf(runs));
      } else if (event instanceof TicksSkipped e) {
        Instant newCursor = e.upTo().isBefore(cursor) ? cursor : e.upTo();
        return new State(spec, status, createdAt, e.at(), newCursor, e.upTo(), fired, skipped + e.count(), lastTaskId,
            recentRuns);
      } else if (event instanceof SchedulePaused e) {
        return new State(spec, Status.PAUSED, createdAt, e.at(), cursor, lastTick, fired, skipped, lastTaskId, recentRuns);
      } else if (event instanceof ScheduleResumed e) {
        // Ticks that fell while paused are not caught up: it goes on from now.
        return new State(spec, Status.ACTIVE, createdAt, e.at(), e.at(), lastTick, fired, skipped, lastTaskId, recentRuns);
      } else if (event instanceof ScheduleDeleted e) {
        return new State(spec, Status.DELETED, createdAt, e.at(), cursor, lastTick, fired, skipped, lastTaskId, recentRuns);
      }
      throw new IllegalArgumentException("unknown event " + event);
    }

    /** @param nextFireTimes how many upcoming ticks to show */
    ScheduleView toView(Instant now, int nextFireTimes, String hostedBy) {
      List<String> next = status == Status.ACTIVE
          ? spec.schedule().next(cursor.isAfter(now) ? cursor : now, nextFireTimes).stream().map(ApiTime::format).toList()
          : List.of();
      var task = spec.task();
      return new ScheduleView(
          spec.id(), spec.cron(), spec.timeZone(),
          new ScheduleView.Task(task.type(), task.payload(), task.priority(), task.retryPolicy(), task.attemptTimeoutMs()),
          spec.overlap().name(), spec.catchUp().name(), status.name(),
          ApiTime.format(createdAt), ApiTime.format(updatedAt), next, ApiTime.format(lastTick), fired, skipped,
          recentRuns.stream()
              .map(run -> new ScheduleView.Run(ApiTime.format(run.tick()), run.taskId(), ApiTime.format(run.firedAt()), run.kind()))
              .toList(),
          hostedBy);
    }
  }
}
