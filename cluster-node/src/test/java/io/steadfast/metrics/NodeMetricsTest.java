package io.steadfast.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.breaker.BreakerState;
import io.steadfast.protocol.api.DeadLetterStats;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What NodeMetrics records shows up in the scrape as Prometheus samples. */
class NodeMetricsTest {
  private final NodeMetrics metrics = new NodeMetrics();

  @Test
  void taskCountsAndDurationsAppearAsSamples() {
    metrics.submitted("email");
    metrics.submitted("email");
    metrics.submitted("sleep");
    metrics.firstAttemptStarted("email", 40);
    metrics.attemptEnded("email", "FAILED", 200);
    metrics.attemptEnded("email", "SUCCEEDED", 1500);
    metrics.attemptEnded("email", "RATE_LIMITED", 3);
    metrics.deadLettered("sleep");

    String text = scrape();
    assertHas(text, "steadfast_tasks_submitted_total{type=\"email\"} 2.0");
    assertHas(text, "steadfast_tasks_submitted_total{type=\"sleep\"} 1.0");
    assertHas(text, "steadfast_attempts_total{outcome=\"FAILED\",type=\"email\"} 1.0");
    assertHas(text, "steadfast_attempts_total{outcome=\"SUCCEEDED\",type=\"email\"} 1.0");
    assertHas(text, "steadfast_attempts_total{outcome=\"RATE_LIMITED\",type=\"email\"} 1.0");
    assertHas(text, "steadfast_tasks_dead_lettered_total{type=\"sleep\"} 1.0");
    assertHas(text, "steadfast_attempt_duration_seconds_bucket{type=\"email\",le=\"0.25\"} 2");
    assertHas(text, "steadfast_attempt_duration_seconds_bucket{type=\"email\",le=\"2.5\"} 3");
    assertHas(text, "steadfast_attempt_duration_seconds_count{type=\"email\"} 3");
    assertHas(text, "steadfast_attempt_duration_seconds_sum{type=\"email\"} 1.70");
    assertHas(text, "steadfast_wait_before_first_attempt_seconds_bucket{type=\"email\",le=\"0.05\"} 1");
    assertHas(text, "steadfast_wait_before_first_attempt_seconds_count{type=\"email\"} 1");
    assertHas(text, "# TYPE steadfast_attempt_duration_seconds histogram");
    assertHas(text, "# TYPE steadfast_tasks_submitted_total counter");
    assertHas(text, "jvm_memory_used_bytes{area=\"heap\"}");
    assertHas(text, "jvm_threads_current ");
  }

  @Test
  void breakerStatesAreOneForTheCurrentStateAndZeroForTheOthers() {
    Map<String, BreakerState> board = Map.of("email", BreakerState.OPEN);
    metrics.watchBreakers(List.of("email", "unheard"), board::get);

    String text = scrape();
    assertHas(text, "steadfast_circuit_breaker_state{state=\"OPEN\",type=\"email\"} 1.0");
    assertHas(text, "steadfast_circuit_breaker_state{state=\"CLOSED\",type=\"email\"} 0.0");
    assertHas(text, "steadfast_circuit_breaker_state{state=\"HALF_OPEN\",type=\"email\"} 0.0");
    assertHas(text, "steadfast_circuit_breaker_state{state=\"FORCED_OPEN\",type=\"email\"} 0.0");
    assertFalse(text.contains("type=\"unheard\""), "no sample for a breaker the node has not heard of");
  }

  @Test
  void bulkheadGaugesReadTheCountersAtScrapeTime() {
    AtomicInteger inUse = new AtomicInteger(3);
    metrics.watchBulkheads(List.of("email"), type -> inUse.get(), type -> 7);
    assertHas(scrape(), "steadfast_bulkhead_in_use{type=\"email\"} 3.0");
    inUse.set(1);
    String text = scrape();
    assertHas(text, "steadfast_bulkhead_in_use{type=\"email\"} 1.0");
    assertHas(text, "steadfast_bulkhead_waiting{type=\"email\"} 7.0");
  }

  @Test
  void theDeadLetterCountIsCachedAndAskedForAtMostEveryFewSeconds() {
    AtomicLong now = new AtomicLong();
    AtomicInteger asked = new AtomicInteger();
    CompletableFuture<DeadLetterStats> pending = new CompletableFuture<>();
    metrics.watchDeadLetters(() -> {
      asked.incrementAndGet();
      return asked.get() == 1 ? pending : CompletableFuture.completedFuture(stats(12));
    }, now::get);

    assertFalse(scrape().contains("steadfast_dead_letters "), "no sample before the queue first answers");
    assertEquals(1, asked.get());
    assertFalse(scrape().contains("steadfast_dead_letters "), "the scrape does not wait for the answer");
    assertEquals(1, asked.get(), "one question at a time");

    pending.complete(stats(5));
    assertHas(scrape(), "steadfast_dead_letters 5.0");
    assertEquals(1, asked.get(), "fresh enough: not asked again");

    now.addAndGet(NodeMetrics.DEAD_LETTERS_MAX_AGE.toNanos());
    scrape(); // finds it stale and asks; this answer comes at once
    assertEquals(2, asked.get());
    assertHas(scrape(), "steadfast_dead_letters 12.0");
  }

  private static DeadLetterStats stats(long total) {
    return new DeadLetterStats(total, Map.of(), Map.of(), "127.0.0.1:2551");
  }

  private String scrape() {
    return new String(metrics.scrape(), StandardCharsets.UTF_8);
  }

  private static void assertHas(String text, String expected) {
    assertTrue(text.contains(expected), "expected <" + expected + "> in\n" + text);
  }
}
