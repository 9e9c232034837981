package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steadfast.protocol.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Scenario {@code schedule}: for each of a few retry policies, one flaky task that fails four
 * times and succeeds on its fifth attempt, and the observed gap before each retry (the previous
 * attempt's endedAt to this one's startedAt, server times) next to what the policy says.
 *
 * <p>Four failures out of five calls would open the flaky type's circuit breaker (50 % failure
 * rate over 10 calls) and turn later gaps into deferrals; the breaker is reset before each task,
 * which clears its counts, so that the gaps show the retry policy alone.
 */
final class Schedule {
  private Schedule() {}

  private record Policy(String key, String label, String overrides) {}

  private static final List<Policy> POLICIES = List.of(
      new Policy("fixed", "fixed 200 ms", "{\"strategy\":\"fixed\",\"initialDelayMs\":200,\"jitter\":\"none\"}"),
      new Policy("linear", "linear 100 ms", "{\"strategy\":\"linear\",\"initialDelayMs\":100,\"jitter\":\"none\"}"),
      new Policy("exponential", "exponential 100 ms x 2",
          "{\"strategy\":\"exponential\",\"initialDelayMs\":100,\"multiplier\":2.0,\"jitter\":\"none\"}"),
      new Policy("exponential_full_jitter", "exponential 100 ms x 2, full jitter",
          "{\"strategy\":\"exponential\",\"initialDelayMs\":100,\"multiplier\":2.0,\"jitter\":\"full\"}"),
      new Policy("decorrelated", "decorrelated jitter, 100 ms",
          "{\"strategy\":\"exponential\",\"initialDelayMs\":100,\"multiplier\":2.0,\"jitter\":\"decorrelated\"}"));

  static void run(Api api, String runId, Duration bound) throws Exception {
    Figures.scheduleLine(String.format(Locale.ROOT, "%-38s %s", "policy (flaky, failTimes 4, maxAttempts 5)",
        "gap before attempt n: observed ms (nominal ms)"));
    for (Policy policy : POLICIES) {
      int reset = api.post("/api/v1/circuit-breakers/flaky/reset");
      if (reset != 200) throw new IllegalStateException("breaker reset answered " + reset);
      ObjectNode body = Api.task("flaky", "schedule-" + policy.key() + "-" + runId);
      body.putObject("payload").put("failTimes", 4);
      ObjectNode overrides = (ObjectNode) Api.JSON.readTree(policy.overrides());
      body.set("retryPolicy", overrides.put("maxAttempts", 5));
      String id = api.submit(body, 0).join();
      Completion.Outcome outcome = Completion.await(api, List.of(id), bound);
      JsonNode view = outcome.views().get(id);
      if (view == null || !Views.succeeded(view)) {
        Figures.scheduleLine(policy.label() + ": did not succeed (" + (view == null ? "unfinished" : Views.status(view)) + ")");
        continue;
      }
      Figures.scheduleLine(line(policy, view));
    }
  }

  private static String line(Policy policy, JsonNode view) throws Exception {
    RetryPolicy retry = Api.JSON.treeToValue(view.get("retryPolicy"), RetryPolicy.class);
    JsonNode history = view.get("history");
    StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-38s", policy.label()));
    long previousGap = 0;
    for (int i = 1; i < history.size(); i++) {
      Instant ended = Views.time(history.get(i - 1), "endedAt");
      Instant started = Views.time(history.get(i), "startedAt");
      long gap = Duration.between(ended, started).toMillis();
      int attempt = history.get(i).path("attempt").asInt();
      Figures.figure("schedule_" + policy.key() + "_gap_before_attempt_" + attempt, gap, "ms");
      text.append(String.format(Locale.ROOT, "  %d: %d (%s)", attempt, gap, nominal(retry, attempt - 1, previousGap)));
      previousGap = gap;
    }
    return text.toString();
  }

  /**
   * What the policy gives after attempt {@code failed} failed: the delay itself without jitter,
   * else the range it is drawn from. Decorrelated jitter grows from the previous delay, which
   * the view does not show; the previous observed gap stands in for it.
   */
  private static String nominal(RetryPolicy policy, int failed, long previousGap) {
    long base = policy.baseDelayAfterAttemptMs(failed);
    return switch (policy.jitter()) {
      case NONE -> String.valueOf(base);
      case FULL -> "0-" + base;
      case EQUAL -> base / 2 + "-" + base;
      case DECORRELATED -> policy.initialDelayMs() + "-"
          + Math.min(policy.maxDelayMs(), 3 * Math.max(previousGap, policy.initialDelayMs()));
    };
  }
}
