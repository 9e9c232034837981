package io.steadfast.schedule;

import io.steadfast.protocol.CborSerializable;
import io.steadfast.task.TaskSpec;
import java.time.ZoneId;

/**
 * A schedule as created: when it fires, what it submits, and its two policies. The task is kept
 * resolved against its type's configuration at creation (as a task keeps the policy it was
 * accepted with); each tick submits it under an idempotency key of its own.
 *
 * @param cron a 5-field cron expression or {@code @every <n><unit>}: see {@link CronSchedule}
 * @param timeZone where the cron expression's hours and days are read
 * @param task what each tick submits; its idempotency key and run-at time are unset
 */
public record ScheduleSpec(
    String id, String cron, String timeZone, TaskSpec task, Overlap overlap, CatchUp catchUp)
    implements CborSerializable {

  /** What a tick does while the task of the previous one has not ended. */
  public enum Overlap {
    /** Skips the tick. */
    SKIP,
    /** Submits anyway: runs may overlap. */
    ALLOW
  }

  /** What happens to ticks missed while the schedule could not fire (the cluster was down). */
  public enum CatchUp {
    /** They are skipped; the schedule goes on from the next tick. */
    SKIP,
    /** One run stands for all of them, at once. */
    RUN_ONCE
  }

  public CronSchedule schedule() {
    return CronSchedule.parse(cron, ZoneId.of(timeZone));
  }

  /** Whether {@code other} asks for the same schedule: the test behind an idempotent create. */
  public boolean sameAs(ScheduleSpec other) {
    return id.equals(other.id) && cron.equals(other.cron) && timeZone.equals(other.timeZone)
        && task.sameRequestAs(other.task) && overlap == other.overlap && catchUp == other.catchUp;
  }

  /** The idempotency key of the task a tick submits: the same on every node and after any restart. */
  public String idempotencyKeyFor(String tick) {
    return "schedule:" + id + ":" + tick;
  }

  /** The task of one tick, under its own idempotency key. */
  public TaskSpec taskFor(String idempotencyKey) {
    return new TaskSpec(task.type(), task.payload(), idempotencyKey, task.retryPolicy(), task.attemptTimeoutMs(),
        task.priority(), null);
  }
}
