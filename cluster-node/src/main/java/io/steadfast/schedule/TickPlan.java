package io.steadfast.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a schedule does next, decided from the last tick it dealt with and the time: pure, so that
 * the rules read in one place and tests fix the clock.
 *
 * <p>The ticks due are those after {@code cursor} up to now. Those at or before {@code
 * missedBefore} were missed: they fell before this incarnation of the schedule started, by more
 * than the on-time window (the cluster was down, or the schedule took that long to start on
 * another node). The catch-up policy either skips them or fires the latest of them once. The
 * others are only late (a timer ran late, a node was busy, the schedule just moved): the latest
 * of them fires, and those before it are skipped rather than run in a burst. Because {@code
 * missedBefore} is fixed when the schedule starts, a catch-up happens at most once per start.
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

  /** Ticks at or before this were missed: the incarnation's start less the on-time window. */
  static Instant missedBefore(Instant started, Duration onTime) {
    return started.minus(onTime);
  }

  static Decision decide(CronSchedule schedule, ScheduleSpec.CatchUp catchUp, Instant cursor, Instant now, Instant missedBefore) {
    Instant latestMissed = null;
    Instant latestLate = null;
    int missed = 0;
    int late = 0;
    Instant from = cursor;
    for (Optional<Instant> tick = schedule.nextAfter(from); tick.isPresent() && !tick.get().isAfter(now);
        tick = schedule.nextAfter(from)) {
      from = tick.get();
      if (!from.isAfter(missedBefore)) {
        latestMissed = from;
        missed++;
      } else {
        latestLate = from;
        late++;
      }
    }
    if (latestMissed != null) {
      return switch (catchUp) {
        case RUN_ONCE -> new Fire(latestMissed, true, missed - 1);
        case SKIP -> new SkipMissed(latestMissed, missed);
      };
    }
    if (latestLate != null) return new Fire(latestLate, false, late - 1);
    return new WaitUntil(schedule.nextAfter(now).orElse(null));
  }
}
