package io.steadfast.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.steadfast.schedule.ScheduleSpec.CatchUp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** When a schedule fires, skips, or catches up, decided on pure state with a fixed clock. */
class TickPlanTest {
  private static final CronSchedule EVERY_10S = CronSchedule.parse("@every 10s", ZoneOffset.UTC);
  private static final Duration ON_TIME = Duration.ofSeconds(30);
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  /** A schedule running since long before the ticks in question: nothing it meets was missed. */
  private static final Instant LONG_AGO = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void withNoTickDueItWaitsForTheNextOne() {
    assertEquals(new TickPlan.WaitUntil(T0.plusSeconds(10)),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, T0.plusSeconds(3), LONG_AGO));
  }

  @Test
  void aDueTickFiresOnce() {
    assertEquals(new TickPlan.Fire(T0.plusSeconds(10), false, 0),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, T0.plusSeconds(10), LONG_AGO));
    // Once fired, the cursor is at the tick: nothing more is due.
    assertEquals(new TickPlan.WaitUntil(T0.plusSeconds(20)),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0.plusSeconds(10), T0.plusSeconds(10), LONG_AGO));
  }

  @Test
  void aRunningScheduleThatFellBehindFiresItsLatestTickAndSkipsTheOnesBefore() {
    // A stalled machine: ticks 10 to 60 are due at once, none of them missed.
    assertEquals(new TickPlan.Fire(T0.plusSeconds(60), false, 5),
        TickPlan.decide(EVERY_10S, CatchUp.RUN_ONCE, T0, T0.plusSeconds(65), LONG_AGO));
  }

  @Test
  void aScheduleThatStartedElsewhereWithinTheWindowIsOnlyLate() {
    // Its node died at 10:00:05; it started again at 10:00:27, so ticks after 09:59:57 are late, not missed.
    Instant started = T0.plusSeconds(27);
    assertEquals(new TickPlan.Fire(T0.plusSeconds(20), false, 1),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, started, TickPlan.missedBefore(started, ON_TIME)));
  }

  @Test
  void ticksMissedWhileTheClusterWasDownAreSkippedWithCatchUpSkipThenTheLateOnesComeToOneRun() {
    // Down from 10:00:05; started again at 10:05:45: ticks up to 10:05:15 were missed.
    Instant started = T0.plusSeconds(345);
    Instant missedBefore = TickPlan.missedBefore(started, ON_TIME);

    assertEquals(new TickPlan.SkipMissed(T0.plusSeconds(310), 31),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, started, missedBefore));
    // The missed ones recorded, the late ones (10:05:20 to 10:05:40) come to one run, even a while later.
    assertEquals(new TickPlan.Fire(T0.plusSeconds(350), false, 3),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0.plusSeconds(310), started.plusSeconds(5), missedBefore));
  }

  @Test
  void ticksMissedWhileTheClusterWasDownRunOnceWithCatchUpRunOnce() {
    CronSchedule hourly = CronSchedule.parse("0 * * * *", ZoneOffset.UTC);
    Instant started = Instant.parse("2026-03-01T13:20:00Z");
    Instant missedBefore = TickPlan.missedBefore(started, ON_TIME);
    Instant cursor = Instant.parse("2026-03-01T10:30:00Z");

    assertEquals(new TickPlan.Fire(Instant.parse("2026-03-01T13:00:00Z"), true, 2),
        TickPlan.decide(hourly, CatchUp.RUN_ONCE, cursor, started, missedBefore));
    assertEquals(new TickPlan.SkipMissed(Instant.parse("2026-03-01T13:00:00Z"), 3),
        TickPlan.decide(hourly, CatchUp.SKIP, cursor, started, missedBefore));
    // Once the catch-up run is recorded, nothing is due until 14:00, however late it was recorded.
    assertEquals(new TickPlan.WaitUntil(Instant.parse("2026-03-01T14:00:00Z")),
        TickPlan.decide(hourly, CatchUp.RUN_ONCE, Instant.parse("2026-03-01T13:00:00Z"), started.plusSeconds(60), missedBefore));
  }

  @Test
  void aCatchUpHappensOnceEvenIfRecordingItTakesLongerThanTheWindow() {
    CronSchedule everySecond = CronSchedule.parse("@every 1s", ZoneOffset.UTC);
    Instant started = T0.plusSeconds(100);
    Instant missedBefore = TickPlan.missedBefore(started, Duration.ofSeconds(3));

    assertEquals(new TickPlan.Fire(T0.plusSeconds(97), true, 96),
        TickPlan.decide(everySecond, CatchUp.RUN_ONCE, T0, started, missedBefore));
    // Recorded 5 s later: ticks 98 to 105 are late, not missed; the latest fires as scheduled.
    assertEquals(new TickPlan.Fire(T0.plusSeconds(105), false, 7),
        TickPlan.decide(everySecond, CatchUp.RUN_ONCE, T0.plusSeconds(97), started.plusSeconds(5), missedBefore));
  }
}
