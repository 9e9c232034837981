package io.steadfast.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
  private static final ZoneId UTC = ZoneOffset.UTC;

  @Test
  void aFiveFieldExpressionFiresAtItsMinutes() {
    CronSchedule quarterly = CronSchedule.parse("*/15 * * * *", UTC);

    assertEquals(
        List.of(Instant.parse("2026-03-01T10:15:00Z"), Instant.parse("2026-03-01T10:30:00Z")),
        quarterly.next(Instant.parse("2026-03-01T10:07:12Z"), 2));
  }

  @Test
  void theHoursOfAnExpressionAreReadInItsTimeZone() {
    CronSchedule nineInBerlin = CronSchedule.parse("0 9 * * *", ZoneId.of("Europe/Berlin"));

    // Winter (UTC+1), then summer time (UTC+2).
    assertEquals(Instant.parse("2026-01-15T08:00:00Z"), nineInBerlin.nextAfter(Instant.parse("2026-01-15T00:00:00Z")).get());
    assertEquals(Instant.parse("2026-07-15T07:00:00Z"), nineInBerlin.nextAfter(Instant.parse("2026-07-15T00:00:00Z")).get());
  }

  @Test
  void everyTicksAreWholeMultiplesOfTheIntervalStrictlyAfterTheGivenTime() {
    CronSchedule every30s = CronSchedule.parse("@every 30s", UTC);

    assertEquals(Instant.parse("2026-03-01T10:00:30Z"), every30s.nextAfter(Instant.parse("2026-03-01T10:00:00Z")).get());
    assertEquals(Instant.parse("2026-03-01T10:00:30Z"), every30s.nextAfter(Instant.parse("2026-03-01T10:00:29.999Z")).get());
    assertEquals(Instant.parse("2026-03-01T11:00:00Z"),
        CronSchedule.parse("@every 1h", UTC).nextAfter(Instant.parse("2026-03-01T10:00:00Z")).get());
  }

  @Test
  void aBadExpressionIsRefusedSayingWhatIsWrong() {
    assertMessage("'* * * *' must have 5 fields", "* * * *");
    assertMessage("must have 5 fields", "0 0 * * * *"); // Quartz's 6 fields are not standard cron
    assertMessage("is not a valid cron expression", "61 * * * *");
    assertMessage("must read @every <n><unit>", "@every 30 seconds");
    assertMessage("at least 1s", "@every 0s");
    assertMessage("the only @ form is @every", "@daily");
  }

  private static void assertMessage(String expected, String expression) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse(expression, UTC));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
