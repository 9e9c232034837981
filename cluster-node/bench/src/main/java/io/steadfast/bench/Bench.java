package io.steadfast.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The load generator of scripts/bench.sh: a separate JVM that drives a running cluster through
 * its HTTP API only (and, for {@code resources}, reads the journal database). One scenario a run:
 *
 * <pre>
 * java -cp "cluster-node/target/cluster-node.jar:cluster-node/target/lib/*" io.steadfast.bench.Bench \
 *     warmup|throughput|batch|latency|retry|recovery|resources|schedule|workflow|ratelimit [--name=value ...]
 * </pre>
 *
 * Options (defaults in brackets): --port-offset [500], --nodes (the cluster's size; requests go
 * to nodes 1 to n in turn) [3], --db (resources: the cluster's store, h2 or postgres) [h2],
 * --in-flight [64], --tasks [per scenario],
 * --warmup-tasks (throughput and batch: noop tasks first, not measured; scenario warmup: its
 * --tasks) [0], --keyed (throughput, batch, warmup: tasks carry an idempotency key) [false],
 * --batch-size (batch: tasks per POST /api/v1/tasks/batch) [100], --batches-in-flight (batch) [4],
 * --rate (tasks/s; 0 = measure the peak with a short throughput run and take half) [0],
 * --seconds [20], --kill-after-seconds [10], --sleep-tasks [60], --bound-seconds [600],
 * --passivate-after-seconds [5], --cluster-script (recovery), --workflows (workflow: diamonds of
 * four steps) [200], --workflow-rate (workflow: diamonds submitted per second) [4], --run-id [time],
 * --results (a file
 * the result lines are appended to as well).
 * Figures go to standard output as {@code BENCH <name> <value> <unit>}; nothing asserts a time.
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println(
          "usage: Bench throughput|batch|latency|retry|recovery|resources|schedule|workflow|ratelimit [--name=value ...]");
      System.exit(2);
    }
    String scenario = args[0];
    Options options = Options.parse(Arrays.copyOfRange(args, 1, args.length));
    int offset = options.integer("port-offset", 500);
    int inFlight = options.integer("in-flight", 64);
    Duration bound = Duration.ofSeconds(options.integer("bound-seconds", 600));
    String runId = options.text("run-id", Long.toString(System.currentTimeMillis(), 36));
    String results = options.text("results", "");
    if (!results.isEmpty()) Figures.alsoTo(Path.of(results));
    Api everyNode = everyNode(options);
    // Throughput tasks carry an idempotency key only with --keyed=true: a bulk producer (as the
    // peers' benchmarks add their jobs) usually has none, and a keyed task's id is derived from
    // its key, so its entity must first read whether it exists.
    boolean keyed = options.text("keyed", "false").equals("true");

    switch (scenario) {
      case "warmup" -> warmUp(everyNode, options.integer("tasks", 2_000), inFlight, bound, runId, keyed);
      case "throughput" -> {
        warmUp(everyNode, options.integer("warmup-tasks", 0), inFlight, bound, runId, keyed);
        Throughput.run(everyNode, "throughput", options.integer("tasks", 20_000), inFlight, bound,
            i -> Api.task("noop", keyed ? "throughput-" + runId + "-" + i : null));
      }
      case "batch" -> {
        warmUp(everyNode, options.integer("warmup-tasks", 0), inFlight, bound, runId, keyed);
        Throughput.run(everyNode, "batch", options.integer("tasks", 20_000), options.integer("batches-in-flight", 4),
            options.integer("batch-size", 100), bound, i -> Api.task("noop", keyed ? "batch-" + runId + "-" + i : null));
      }
      case "retry" -> Throughput.run(everyNode, "retry", options.integer("tasks", 5_000), inFlight, bound,
          i -> flakyOnce("retry-" + runId + "-" + i));
      case "latency" -> Latency.run(everyNode, "latency", rate(everyNode, options, runId, inFlight, bound),
          Duration.ofSeconds(options.integer("seconds", 20)), 4 * inFlight, bound,
          i -> Api.task("noop", "latency-" + runId + "-" + i));
      case "recovery" -> Recovery.run(new Api(offset, List.of(1, 3)), new Recovery.Settings(
          rate(everyNode, options, runId, inFlight, bound),
          Duration.ofSeconds(options.integer("seconds", 30)),
          Duration.ofSeconds(options.integer("kill-after-seconds", 10)),
          options.integer("sleep-tasks", 60),
          4 * inFlight,
          bound,
          options.text("cluster-script", "scripts/cluster.sh"),
          "127.0.0.1:" + (2552 + offset),
          runId));
      case "resources" -> Resources.run(everyNode, offset, options.text("db", "h2"), options.integer("tasks", 2_000),
          inFlight, runId,
          Duration.ofSeconds(options.integer("passivate-after-seconds", 5)));
      case "schedule" -> Schedule.run(everyNode, runId, Duration.ofMinutes(2));
      case "workflow" -> Workflows.run(everyNode, offset, options.text("db", "h2"), options.integer("workflows", 200),
          options.decimal("workflow-rate", 4), bound, runId);
      case "ratelimit" -> RateLimited.run(everyNode, new RateLimited.Settings(
          options.integer("tasks", 1_000),
          Duration.ofSeconds(options.integer("kill-after-seconds", 15)),
          options.text("cluster-script", "scripts/cluster.sh"),
          offset,
          bound,
          runId));
      default -> {
        System.err.println("unknown scenario '" + scenario + "'");
        System.exit(2);
      }
    }
    System.exit(0); // also ends the HTTP client's idle connections at once
  }

  /**
   * Noop tasks whose figures are not kept, half of them one request each and half in batches: the
   * nodes' JIT compilers take a fresh cluster's first thousands of tasks (more than half its CPU
   * at first), and neither a throughput nor a CPU figure should depend on how fresh the cluster was.
   */
  private static void warmUp(Api api, int tasks, int inFlight, Duration bound, String runId, boolean keyed)
      throws InterruptedException, IOException {
    if (tasks <= 0) return;
    Figures.progress("warming up with %d noop tasks", tasks);
    long endedBefore = api.endedByMetrics("noop");
    Load.Submitted single = Load.closedLoop(api, tasks / 2, inFlight, i -> Api.task("noop", keyed ? "warmup-" + runId + "-" + i : null));
    Completion.awaitListed(api, "noop", endedBefore, single.ids(), single.firstSubmit(), bound);
    endedBefore = api.endedByMetrics("noop");
    Load.Submitted batched = Load.closedLoopBatched(api, tasks - tasks / 2, 4, 100,
        i -> Api.task("noop", keyed ? "warmup-batch-" + runId + "-" + i : null));
    Completion.awaitListed(api, "noop", endedBefore, batched.ids(), batched.firstSubmit(), bound);
  }

  /** Nodes 1 to {@code --nodes}, in turn. */
  private static Api everyNode(Options options) {
    return new Api(options.integer("port-offset", 500), IntStream.rangeClosed(1, options.integer("nodes", 3)).boxed().toList());
  }

  /** {@code --rate}, or half the peak measured by a short throughput run. */
  private static double rate(Api everyNode, Options options, String runId, int inFlight, Duration bound)
      throws InterruptedException, IOException {
    double rate = options.decimal("rate", 0);
    if (rate > 0) return rate;
    int tasks = options.integer("calibration-tasks", 2_000);
    Figures.progress("no --rate: measuring the peak with %d noop tasks first", tasks);
    double peak = Throughput.run(everyNode, "calibration", tasks,
        inFlight, bound, i -> Api.task("noop", "calibration-" + runId + "-" + i));
    return Math.max(1, peak / 2);
  }

  /** A flaky task that fails once, retried after a fixed 10 ms. */
  private static ObjectNode flakyOnce(String key) {
    ObjectNode body = Api.task("flaky", key);
    body.putObject("payload").put("failTimes", 1);
    body.putObject("retryPolicy").put("strategy", "fixed").put("initialDelayMs", 10).put("jitter", "none");
    return body;
  }
}
