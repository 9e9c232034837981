package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Scenario {@code latency}: noop tasks at a steady rate (about half the measured peak), and how
 * long each took from submission to SUCCEEDED: the view's createdAt to its last attempt's
 * endedAt, both server times.
 */
final class Latency {
  private Latency() {}

  static void run(Api api, String name, double rate, Duration duration, int maxInFlight, Duration bound,
      IntFunction<ObjectNode> body) throws InterruptedException {
    Figures.progress("%s: %.0f tasks/s for %s", name, rate, duration);
    Load.Submitted submitted = Load.openLoop(api, rate, duration, maxInFlight, body);
    Completion.Outcome outcome = Completion.await(api, submitted.ids(), bound);
    List<JsonNode> succeeded = outcome.views().values().stream().filter(Views::succeeded).toList();
    long[] latencies = succeeded.stream().mapToLong(Views::latencyMs).toArray();
    Figures.figure(name + "_rate", rate, "tasks/s");
    Figures.figure(name + "_submit_per_s", submitted.submitRate(), "tasks/s");
    Figures.figure(name + "_succeeded", latencies.length, "tasks");
    Figures.distribution(name + "_submit_to_succeeded", latencies, "ms");
    // Where that time went: before the first attempt (0 when the task started as it was
    // submitted), then in the last attempt (its start's journal write, the handler, the result).
    long[] waited = succeeded.stream().mapToLong(Views::waitedMs).toArray();
    Figures.figure(name + "_started_later", Arrays.stream(waited).filter(ms -> ms > 0).count(), "tasks");
    Figures.figure(name + "_submit_to_first_attempt_p99", Figures.percentile(waited, 99), "ms");
    Figures.distribution(name + "_last_attempt", succeeded.stream().mapToLong(Views::lastAttemptMs).toArray(), "ms");
    // Client side: a refused submission is sent again, and its task's createdAt is the last try.
    long[] waits = submitted.acceptedAfterMs();
    Figures.figure(name + "_first_request_to_accepted_p99", Figures.percentile(waits, 99), "ms");
    Figures.figure(name + "_first_request_to_accepted_max", Figures.percentile(waits, 100), "ms");
    if (submitted.held() > 0) Figures.figure(name + "_generator_fell_behind", submitted.held(), "times");
    Figures.refusals(name, api);
    if (submitted.failed() > 0) Figures.figure(name + "_submit_failed", submitted.failed(), "tasks");
    if (!outcome.unfinished().isEmpty()) Figures.figure(name + "_unfinished", outcome.unfinished().size(), "tasks");
    if (outcome.failed() > 0) Figures.figure(name + "_ended_not_succeeded", outcome.failed(), "tasks");
  }
}
