package io.steadfast.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a schedule does next, decided from the last tick it dealt with and the time: pure, so that
 * the rules read in one place and tests fix the clock.
 *
 * <p>The ticks due are those after {@code cursor} up to now. The latest of them fires if it is at
 * most {@code onTime} old: the schedule is just late (its node died and it started again
 * elsewhere, or a timer ran late), and the ticks before it are skipped, not run in a burst. A
 * latest tick older than that was missed (the cluster was down): the catch-up policy either
 * skips them all or fires the latest once.
 */
final class TickPlan {
  private TickPlan() {}

  sealed interface Decision {}

  /**
   * Fire {@code tick}; {@code skippedBefore} due ticks before it are skipped.
   *
   * @param catchUp it stands for ticks missed while the schedule could not fire
   */
  record Fire(Instant tick, boolean catchUp, int skippedBefore) implements Decision {}

  /** Skip {@code count} missed ticks, up to and including {@code upTo}. */
  record SkipMissed(Instant upTo, int count) implements Decision {}

  /** Nothing due: wake at {@code at}, or never (null: a cron date that never comes). */
  record WaitUntil(Instant at) implements Decision {}

  static Decision decide(CronSchedule schedule, ScheduleSpec.CatchUp catchUp, Instant cursor, Instant now, Duration onTime) {
    Instant latest = null;
    int due = 0;
    for (Optional<Instant> tick = schedule.nextAfter(cursor); tick.isPresent() && !tick.get().isAfter(now);
        tick = schedule.nextAfter(latest)) {
      latest = tick.get();
      due++;
    }
    if (latest == null) return new WaitUntil(schedule.nextAfter(now).orElse(null));
    boolean onTimeStill = Duration.between(latest, now).compareTo(onTime) <= 0;
    if (onTimeStill) return new Fire(latest, false, due - 1);
    return switch (catchUp) {
      case RUN_ONCE -> new Fire(latest, true, due - 1);
      case SKIP -> new SkipMissed(latest, due);
    };
  }
}
