package io.steadfast.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** What the load generator reads from a node's /metrics to know how many tasks have ended. */
class MetricsTest {

  private static final String EXPOSITION = """
      # HELP steadfast_attempts_total Attempts ended, by outcome
      # TYPE steadfast_attempts_total counter
      steadfast_attempts_total{outcome="FAILED_RETRYABLE",type="flaky"} 5.0
      steadfast_attempts_total{outcome="SUCCEEDED",type="flaky"} 7.0
      steadfast_attempts_total{outcome="SUCCEEDED",type="noop"} 12345.0
      steadfast_attempts_total{outcome="SUCCEEDED",type="noop2"} 99.0
      # TYPE steadfast_tasks_dead_lettered_total counter
      steadfast_tasks_dead_lettered_total{type="flaky"} 2.0
      steadfast_tasks_submitted_total{type="noop"} 20000.0
      steadfast_attempt_duration_seconds_count{type="noop"} 12345
      """;

  @Test
  void endedTasksAreSucceededAttemptsPlusDeadLettersOfThatTypeOnly() {
    assertEquals(12345, Metrics.ended(EXPOSITION, "noop"));
    assertEquals(9, Metrics.ended(EXPOSITION, "flaky"));
    assertEquals(0, Metrics.ended(EXPOSITION, "echo"));
  }

  @Test
  void largeCountsInScientificNotationAreRead() {
    assertEquals(12_000_000, Metrics.ended("steadfast_attempts_total{type=\"noop\",outcome=\"SUCCEEDED\"} 1.2E7\n", "noop"));
  }
}
