package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Scenario {@code ratelimit}: {@code tasks} tasks of the rate-limited type {@code limited}
 * (bench.sh configures 20/s), submitted at once in batches over the three nodes; the attempts
 * they start are counted in every whole 5-s window, from the first start to the last, and each
 * window's rate is compared with the limit; the same once every task is in (while submissions
 * still trickle in, they and not the limit set the pace). Then the same again, with the node hosting the type's
 * limiter killed ({@code cluster.sh kill}) part of the way through, the load sent to the others.
 */
final class RateLimited {
  static final String TYPE = "limited";
  static final Duration WINDOW = Duration.ofSeconds(5);

  private RateLimited() {}

  record Settings(int tasks, Duration killAfter, String clusterScript, int portOffset, Duration bound, String runId) {}

  static void run(Api everyNode, Settings settings) throws Exception {
    JsonNode limit = everyNode.get("/api/v1/rate-limits/" + TYPE);
    if (limit == null) throw new IllegalStateException("task type '" + TYPE + "' has no rate limit on this cluster");
    double perSecond = limit.get("permitsPerSecond").asDouble();
    Figures.figure("ratelimit_configured", perSecond, "attempts/s");
    phase("ratelimit", everyNode, settings, perSecond, null);

    String host = everyNode.get("/api/v1/rate-limits/" + TYPE).get("hostedBy").asText();
    int victim = Integer.parseInt(host.substring(host.lastIndexOf(':') + 1)) - 2550 - settings.portOffset();
    List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
    survivors.remove(Integer.valueOf(victim));
    Figures.progress("ratelimit: the limiter runs on node %d (%s); it is killed %s into the second run", victim, host,
        settings.killAfter());
    phase("ratelimit_after_kill", new Api(settings.portOffset(), survivors), settings, perSecond, victim);
  }

  /** @param victim the node to kill part of the way through, or null */
  private static void phase(String name, Api api, Settings settings, double perSecond, Integer victim) throws Exception {
    CompletableFuture<Void> kill = victim == null ? CompletableFuture.completedFuture(null)
        : CompletableFuture.runAsync(() -> kill(settings, victim));
    Load.Submitted submitted = Load.closedLoopBatched(api, settings.tasks(), 4, 100,
        i -> Api.task(TYPE, name + "-" + settings.runId() + "-" + i));
    Instant allIn = Instant.now();
    Completion.Outcome outcome = Completion.await(api, submitted.ids(), settings.bound());
    kill.join();

    List<Instant> starts = new ArrayList<>();
    for (JsonNode view : outcome.views().values()) {
      for (JsonNode attempt : view.path("history")) starts.add(Views.time(attempt, "startedAt"));
    }
    starts.sort(Instant::compareTo);
    if (starts.size() < 2) throw new IllegalStateException(name + ": no attempts to count");
    windows(name, starts, perSecond);
    List<Instant> afterAllIn = starts.stream().filter(start -> !start.isBefore(allIn)).toList();
    Figures.progress("%s: all %d tasks accepted %d ms after the first attempt", name, settings.tasks(),
        Math.max(0, Duration.between(starts.get(0), allIn).toMillis()));
    if (afterAllIn.size() >= 2) windows(name + "_all_in", afterAllIn, perSecond);
    Figures.figure(name + "_lost_tasks", submitted.ids().size() - outcome.succeeded(), "tasks");
  }

  /** The rate of each whole 5-s window from the first of {@code starts} (sorted) to the last. */
  private static void windows(String name, List<Instant> starts, double perSecond) {
    Instant first = starts.get(0);
    int windows = (int) (Duration.between(first, starts.get(starts.size() - 1)).toMillis() / WINDOW.toMillis());
    int[] counts = new int[Math.max(1, windows)];
    for (Instant start : starts) {
      int window = (int) (Duration.between(first, start).toMillis() / WINDOW.toMillis());
      if (window < counts.length) counts[window]++;
    }
    double min = Double.MAX_VALUE;
    double max = 0;
    StringBuilder each = new StringBuilder();
    for (int count : counts) {
      double rate = count / (double) WINDOW.toSeconds();
      min = Math.min(min, rate);
      max = Math.max(max, rate);
      each.append(String.format(" %.1f", rate));
    }
    double overall = (starts.size() - 1) / (Duration.between(first, starts.get(starts.size() - 1)).toMillis() / 1000.0);
    Figures.progress("%s: attempts/s in each whole 5-s window:%s", name, each);
    Figures.figure(name + "_attempts", starts.size(), "attempts");
    Figures.figure(name + "_rate_overall", overall, "attempts/s");
    Figures.figure(name + "_rate_5s_min", min, "attempts/s");
    Figures.figure(name + "_rate_5s_max", max, "attempts/s");
    Figures.figure(name + "_worst_5s_deviation", 100 * Math.max(perSecond - min, max - perSecond) / perSecond, "%");
  }

  private static void kill(Settings settings, int node) {
    try {
      Thread.sleep(settings.killAfter().toMillis());
      Process command = new ProcessBuilder(settings.clusterScript(), "kill", String.valueOf(node)).inheritIO().start();
      if (command.waitFor() != 0) throw new IllegalStateException("cluster.sh kill " + node + " failed");
      Figures.progress("ratelimit: node %d killed at %s", node, Instant.now());
    } catch (Exception e) {
      throw new IllegalStateException("killing node " + node + " failed", e);
    }
  }
}
