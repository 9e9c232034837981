package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * Scenario {@code recovery}: the load of {@code latency}, and node 2 killed with SIGKILL
 * ({@code scripts/cluster.sh kill 2}) part of the way through. Reports, from the kill, the first
 * and the last resumed attempt of a task whose attempt on node 2 was recorded NODE_LOST, and the
 * tasks lost (not SUCCEEDED within the bound; must be 0).
 *
 * <p>A noop attempt lasts milliseconds, so at the moment of the kill node 2 may well be running
 * none. A few {@code sleep} tasks, long enough to outlast the kill, are submitted first so that
 * there are attempts to lose; they count like the rest. Requests go to nodes 1 and 3 only, so the
 * load does not stall on the dead node's port: the tasks themselves are spread over all three by
 * sharding whichever node receives them.
 */
final class Recovery {
  private Recovery() {}

  record Settings(double rate, Duration duration, Duration killAfter, int sleepTasks, int maxInFlight,
      Duration bound, String clusterScript, String node2Name, String runId) {}

  static void run(Api api, Settings settings) throws Exception {
    String name = "recovery";
    long sleepMs = settings.killAfter().plusSeconds(5).toMillis();
    Figures.progress("%s: %d sleep tasks of %d ms, then %.0f noop tasks/s for %s; node 2 is killed after %s",
        name, settings.sleepTasks(), sleepMs, settings.rate(), settings.duration(), settings.killAfter());
    IntFunction<ObjectNode> sleep = i -> {
      ObjectNode body = Api.task("sleep", "recovery-sleep-" + settings.runId() + "-" + i);
      body.putObject("payload").put("durationMs", sleepMs);
      return body;
    };
    Load.Submitted sleeping = Load.closedLoop(api, settings.sleepTasks(), 16, sleep);

    CompletableFuture<Instant> kill = CompletableFuture.supplyAsync(() -> killNode2(settings));
    IntFunction<ObjectNode> noop = i -> Api.task("noop", "recovery-noop-" + settings.runId() + "-" + i);
    Load.Submitted load = Load.openLoop(api, settings.rate(), settings.duration(), settings.maxInFlight(), noop);
    Instant killedAt = kill.join();

    List<String> ids = new ArrayList<>(sleeping.ids());
    ids.addAll(load.ids());
    Completion.Outcome outcome = Completion.await(api, ids, settings.bound());

    List<Duration> resumed = new ArrayList<>();
    for (JsonNode view : outcome.views().values()) {
      JsonNode history = view.path("history");
      for (int i = 0; i + 1 < history.size(); i++) {
        JsonNode attempt = history.get(i);
        if (attempt.path("outcome").asText().equals("NODE_LOST")
            && attempt.path("node").asText().equals(settings.node2Name())) {
          resumed.add(Duration.between(killedAt, Views.time(history.get(i + 1), "startedAt")));
        }
      }
    }
    long lost = ids.size() - outcome.succeeded(); // accepted, and not SUCCEEDED within the bound
    long[] noopLatencies = load.ids().stream().map(outcome.views()::get)
        .filter(v -> v != null && Views.succeeded(v)).mapToLong(Views::latencyMs).toArray();

    Figures.figure(name + "_tasks", ids.size(), "tasks");
    Figures.figure(name + "_node_lost_attempts", resumed.size(), "attempts");
    if (!resumed.isEmpty()) {
      Figures.figure(name + "_kill_to_first_resumed", resumed.stream().min(Duration::compareTo).orElseThrow().toMillis(), "ms");
      Figures.figure(name + "_kill_to_last_resumed", resumed.stream().max(Duration::compareTo).orElseThrow().toMillis(), "ms");
    }
    Figures.figure(name + "_lost_tasks", lost, "tasks");
    Figures.distribution(name + "_noop_submit_to_succeeded", noopLatencies, "ms");
    // Client side: a refused submission is sent again, and its task's createdAt is the last try.
    long[] waits = load.acceptedAfterMs();
    Figures.figure(name + "_noop_first_request_to_accepted_p99", Figures.percentile(waits, 99), "ms");
    Figures.figure(name + "_noop_first_request_to_accepted_max", Figures.percentile(waits, 100), "ms");
    Figures.refusals(name, api);
    if (sleeping.failed() + load.failed() > 0) Figures.figure(name + "_submit_failed", sleeping.failed() + load.failed(), "tasks");
    if (!outcome.unfinished().isEmpty()) {
      Figures.progress("%s: %d tasks not SUCCEEDED within %s, e.g. %s", name, outcome.unfinished().size(),
          settings.bound(), outcome.unfinished().get(0));
    }
  }

  /**
   * Waits, then runs {@code cluster.sh kill 2}; answers when the node died: the moment its
   * process was seen dead (polled every millisecond from before the command), or, should its
   * pid be unknown, when the command started (the script needs some ms before it signals).
   */
  private static Instant killNode2(Settings settings) {
    try {
      Thread.sleep(settings.killAfter().toMillis());
      Optional<Path> node2 = pid(settings).map(pid -> Path.of("/proc", pid, "stat"));
      Instant commandStarted = Instant.now();
      Process command = new ProcessBuilder(settings.clusterScript(), "kill", "2").inheritIO().start();
      Instant died = null;
      while (died == null && node2.isPresent() && command.isAlive()) {
        if (isDead(node2.get())) died = Instant.now();
        else Thread.sleep(1);
      }
      if (command.waitFor() != 0) throw new IllegalStateException("cluster.sh kill 2 failed");
      Instant killedAt = died != null ? died : commandStarted;
      Figures.progress("recovery: node 2 %s %d ms into the kill command, which took %d ms",
          died != null ? "seen dead" : "taken as killed", Duration.between(commandStarted, killedAt).toMillis(),
          Duration.between(commandStarted, Instant.now()).toMillis());
      return killedAt;
    } catch (Exception e) {
      throw new IllegalStateException("killing node 2 failed", e);
    }
  }

  /** Gone, or a zombie (dead, not yet reaped by its parent): /proc/PID/stat's state is Z. */
  private static boolean isDead(Path stat) {
    try {
      String text = Files.readString(stat);
      return text.charAt(text.lastIndexOf(')') + 2) == 'Z';
    } catch (IOException | RuntimeException gone) {
      return true;
    }
  }

  /** Node 2's pid, from the pid file cluster.sh keeps in STEADFAST_RUN_DIR. */
  private static Optional<String> pid(Settings settings) {
    String runDir = System.getenv("STEADFAST_RUN_DIR");
    if (runDir == null) return Optional.empty();
    try {
      String pid = Files.readString(Path.of(runDir, "pids", "node-2.pid")).trim();
      return pid.matches("[0-9]+") ? Optional.of(pid) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
