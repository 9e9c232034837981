package io.steadfast.breaker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BreakerSettingsTest {
  private static final String PATH = "steadfast.task-defaults.breaker";

  /** The block documented on BreakerSettings, as it would sit in steadfast.conf. */
  private static final Config DOCUMENTED =
      ConfigFactory.parseString(
          """
          failure-threshold = 5
          failure-rate-threshold = 50
          sliding-window-size = 20
          minimum-calls = 10
          reset-timeout = 30s
          reset-timeout-multiplier = 2.0
          max-reset-timeout = 5m
          half-open-max-attempts = 1
          transitions-kept = 20
          """);

  private static BreakerSettings parse(String overrides) {
    return BreakerSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(DOCUMENTED), PATH);
  }

  @Test
  void theDocumentedDefaultsParseToDefaults() {
    assertEquals(BreakerSettings.DEFAULTS, BreakerSettings.fromConfig(DOCUMENTED, PATH));
  }

  @Test
  void eitherThresholdMayBeTurnedOff() {
    assertEquals(0, parse("failure-threshold = 0").failureThreshold());
    assertEquals(0, parse("failure-rate-threshold = 0").failureRateThreshold());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          failure-threshold = -1                               | failure-threshold        | must be between 0 and 1000 but was -1
          failure-threshold = lots                             | failure-threshold        | failure-threshold has type STRING rather than NUMBER
          failure-rate-threshold = 120                         | failure-rate-threshold   | must be between 0 and 100 but was 120
          'failure-threshold = 0, failure-rate-threshold = 0'  | failure-threshold        | is 0 (off) and so is failure-rate-threshold
          sliding-window-size = 0                              | sliding-window-size      | must be between 1 and 1000 but was 0
          minimum-calls = 25                                   | minimum-calls            | must be between 1 and sliding-window-size (20) but was 25
          reset-timeout = 0s                                   | reset-timeout            | must be between 0.001s and 168h but was 0s
          reset-timeout = soon                                 | reset-timeout            | soon
          reset-timeout-multiplier = 0.5                       | reset-timeout-multiplier | must be between 1.0 and 100.0 but was 0.5
          max-reset-timeout = 10s                              | max-reset-timeout        | must be between reset-timeout (30s) and 168h but was 10s
          max-reset-timeout = 8d                               | max-reset-timeout        | must be between reset-timeout (30s) and 168h but was 192h
          half-open-max-attempts = 0                           | half-open-max-attempts   | must be between 1 and 1000 but was 0
          transitions-kept = 1001                              | transitions-kept         | must be between 1 and 1000 but was 1001
          """)
  void aBadValueIsRefusedNamingTheFullKeyTheRangeAndTheValue(String overrides, String key, String detail) {
    ConfigException.BadValue e = assertThrows(ConfigException.BadValue.class, () -> parse(overrides));
    assertTrue(e.getMessage().contains("'" + PATH + "." + key + "'"), e.getMessage());
    assertTrue(e.getMessage().contains(detail), e.getMessage());
  }

  @Test
  void aMissingKeyIsReportedByItsFullPath() {
    Config withoutOne = DOCUMENTED.withoutPath("minimum-calls");
    ConfigException.Missing e =
        assertThrows(ConfigException.Missing.class, () -> BreakerSettings.fromConfig(withoutOne, PATH));
    assertTrue(e.getMessage().contains(PATH + ".minimum-calls"), e.getMessage());
  }

  @Test
  void buildingTheRecordDirectlyChecksTheSameRules() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new BreakerSettings(5, 50, 20, 30, Duration.ofSeconds(30), 2.0, Duration.ofMinutes(5), 1, 20));
    assertEquals("minimum-calls must be between 1 and sliding-window-size (20) but was 30", e.getMessage());
  }

  @Test
  void theResetTimeoutGrowsPerReopeningUpToTheCap() {
    BreakerSettings s = parse("reset-timeout = 10s, reset-timeout-multiplier = 1.5, max-reset-timeout = 30s");
    assertEquals(
        List.of(10_000L, 15_000L, 22_500L, 30_000L, 30_000L),
        List.of(1, 2, 3, 4, 50).stream().map(n -> s.resetTimeoutAfter(n).toMillis()).toList());
    BreakerSettings constant = parse("reset-timeout-multiplier = 1.0");
    assertEquals(Duration.ofSeconds(30), constant.resetTimeoutAfter(7));
  }
}
