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

  @Test
  void withNoTickDueItWaitsForTheNextOne() {
    assertEquals(new TickPlan.WaitUntil(T0.plusSeconds(10)),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, T0.plusSeconds(3), ON_TIME));
  }

  @Test
  void aDueTickFiresOnce() {
    assertEquals(new TickPlan.Fire(T0.plusSeconds(10), false, 0),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, T0.plusSeconds(10), ON_TIME));
    // Once fired, the cursor is at the tick: nothing more is due.
    assertEquals(new TickPlan.WaitUntil(T0.plusSeconds(20)),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0.plusSeconds(10), T0.plusSeconds(10), ON_TIME));
  }

  @Test
  void aScheduleThatIsOnlyLateFiresItsLatestTickAndSkipsTheOnesBefore() {
    // Its node died at 10:00:05 and it started again at 10:00:27: ticks 10 and 20 are due, both
    // within the window.
    assertEquals(new TickPlan.Fire(T0.plusSeconds(20), false, 1),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, T0.plusSeconds(27), ON_TIME));
  }

  @Test
  void ticksMissedWhileTheClusterWasDownAreSkippedWithCatchUpSkipThenTheLateOneFires() {
    // Down from 10:00:05, back at 10:05:45: ticks up to 10:05:10 are older than the window.
    Instant backAt = T0.plusSeconds(345);

    TickPlan.Decision first = TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0, backAt, ON_TIME);
    assertEquals(new TickPlan.SkipMissed(T0.plusSeconds(310), 31), first);
    // With the missed ones recorded, the late ones (10:05:20 to 10:05:40) come to one run.
    assertEquals(new TickPlan.Fire(T0.plusSeconds(340), false, 2),
        TickPlan.decide(EVERY_10S, CatchUp.SKIP, T0.plusSeconds(310), backAt, ON_TIME));
  }

  @Test
  void ticksMissedWhileTheClusterWasDownRunOnceWithCatchUpRunOnce() {
    CronSchedule hourly = CronSchedule.parse("0 * * * *", ZoneOffset.UTC);
    Instant backAt = Instant.parse("2026-03-01T13:20:00Z");

    assertEquals(new TickPlan.Fire(Instant.parse("2026-03-01T13:00:00Z"), true, 2),
        TickPlan.decide(hourly, CatchUp.RUN_ONCE, Instant.parse("2026-03-01T10:30:00Z"), backAt, ON_TIME));
    assertEquals(new TickPlan.SkipMissed(Instant.parse("2026-03-01T13:00:00Z"), 3),
        TickPlan.decide(hourly, CatchUp.SKIP, Instant.parse("2026-03-01T10:30:00Z"), backAt, ON_TIME));
    // Once the catch-up run is recorded, nothing is due until 14:00.
    assertEquals(new TickPlan.WaitUntil(Instant.parse("2026-03-01T14:00:00Z")),
        TickPlan.decide(hourly, CatchUp.RUN_ONCE, Instant.parse("2026-03-01T13:00:00Z"), backAt, ON_TIME));
  }
}
