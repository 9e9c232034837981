package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.IntFunction;

/**
 * Tasks submitted as fast as the cluster takes them (scenarios {@code throughput}, {@code batch}
 * and {@code retry}): tasks/s from the first submission to the last task's SUCCEEDED, by the server's
 * updatedAt of that task; the submission rate on its own.
 */
final class Throughput {
  private Throughput() {}

  /** @return the measured tasks/s, or 0 if no task succeeded */
  static double run(Api api, String name, int count, int inFlight, Duration bound, IntFunction<ObjectNode> body)
      throws InterruptedException, IOException {
    return run(api, name, count, inFlight, 1, bound, body);
  }

  /** @param batchSize tasks per request: 1 for single submissions, else batch submissions */
  static double run(Api api, String name, int count, int inFlight, int batchSize, Duration bound,
      IntFunction<ObjectNode> body) throws InterruptedException, IOException {
    Figures.progress("%s: submitting %d tasks, %d requests of %d task(s) in flight", name, count, inFlight, batchSize);
    String type = body.apply(0).path("type").asText();
    long endedBefore = api.endedByMetrics(type);
    Load.Submitted submitted = batchSize > 1
        ? Load.closedLoopBatched(api, count, inFlight, batchSize, body)
        : Load.closedLoop(api, count, inFlight, body);
    Figures.progress("%s: all submitted (%.0f/s); waiting for them to end", name, submitted.submitRate());
    Completion.Outcome outcome = Completion.awaitListed(api, type, endedBefore, submitted.ids(), submitted.firstSubmit(), bound);

    Instant lastSucceeded = submitted.firstSubmit();
    long attempts = 0;
    for (JsonNode view : outcome.views().values()) {
      if (!Views.succeeded(view)) continue;
      Instant updated = Views.time(view, "updatedAt");
      if (updated.isAfter(lastSucceeded)) lastSucceeded = updated;
      attempts += view.path("attempts").asLong();
    }
    long succeeded = outcome.succeeded();
    double tasksPerSecond = succeeded / Load.seconds(submitted.firstSubmit(), lastSucceeded);
    Figures.figure(name + "_tasks_per_s", tasksPerSecond, "tasks/s");
    Figures.figure(name + "_submit_per_s", submitted.submitRate(), "tasks/s");
    Figures.figure(name + "_first_submit_to_last_succeeded", Duration.between(submitted.firstSubmit(), lastSucceeded).toMillis(), "ms");
    Figures.figure(name + "_succeeded", succeeded, "tasks");
    Figures.figure(name + "_attempts_per_task", succeeded == 0 ? 0 : (double) attempts / succeeded, "attempts");
    Figures.refusals(name, api);
    if (submitted.failed() > 0) Figures.figure(name + "_submit_failed", submitted.failed(), "tasks");
    if (outcome.failed() > 0) Figures.figure(name + "_ended_not_succeeded", outcome.failed(), "tasks");
    if (!outcome.unfinished().isEmpty()) {
      Figures.figure(name + "_unfinished", outcome.unfinished().size(), "tasks");
      Figures.progress("%s: %d tasks not terminal after %s, e.g. %s", name, outcome.unfinished().size(), bound,
          outcome.unfinished().get(0));
    }
    return succeeded == 0 ? 0 : tasksPerSecond;
  }
}
