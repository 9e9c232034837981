package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One cluster under a steady mix of tasks, put through what a busy machine and its operators do
 * to it: every node killed in turn (the oldest first), one paused for 3 s, the CPU saturated,
 * the whole cluster stopped and started, and then, after minutes of load, the database server
 * killed. Every acknowledged task must end SUCCEEDED; no live node may be downed; no task may run
 * twice at once, as seen by the far end of its handler, not only by its history.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosProcessIT {
  private static final Duration SETTLE = LoadChecks.SETTLE;
  /** What the settings promise (persistence breakers 2 s, backoffs 2 s), with room for a busy machine. */
  private static final Duration SERVING_AFTER_DATABASE_BOUND = Duration.ofSeconds(30);

  private static final ObjectMapper JSON = new ObjectMapper();

  private RunRecorder recorder;
  private LocalCluster cluster;

  @BeforeAll
  void start() throws Exception {
    recorder = new RunRecorder(1000);
    cluster = LocalCluster.start("chaos", 3, List.of(
        // A handler whose runs the test sees from outside: one HTTP call per attempt.
        "-Dsteadfast.task-types.recorded.handler=http",
        "-Dsteadfast.task-types.recorded.max-attempts=10",
        "-Dsteadfast.task-types.recorded.retry.initial-delay=200ms",
        "-Dsteadfast.task-types.sleep.max-attempts=10",
        // Failing once each, flaky tasks fail half their attempts: enough to open the breaker
        // of the type (and defer it for minutes). Breakers have their own test; this one is
        // about membership and storage.
        "-Dsteadfast.task-types.flaky.circuit-breaker.failure-threshold=1000",
        "-Dsteadfast.task-types.flaky.circuit-breaker.failure-rate-threshold=0"));
  }

  @AfterAll
  void stop() {
    if (cluster != null) cluster.close();
    if (recorder != null) recorder.close();
  }

  /** noop, sleep with checkpoints, flaky failing once, and a recorded call, in turn. */
  private IntFunction<String> mix(String prefix) {
    return n -> switch (n % 4) {
      case 0 -> "{\"type\":\"noop\",\"payload\":{}}";
      case 1 -> "{\"type\":\"sleep\",\"payload\":{\"durationMs\":1500,\"checkpointEveryMs\":500}}";
      case 2 -> "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1}}";
      default -> "{\"type\":\"recorded\",\"payload\":{\"url\":\"" + recorder.url(prefix + "-" + n) + "\"}}";
    };
  }

  @Test
  @Order(1)
  void killsAPauseSaturationAndAFullRestartLoseNothingAndRunNothingTwice() throws Exception {
    List<Kill> kills = new ArrayList<>();
    SteadyLoad load = new SteadyLoad(cluster, "chaos", mix("chaos"), 4, Duration.ofMillis(150));
    Map<String, SteadyLoad.Acked> acked;
    try {
      LoadChecks.awaitAcked(load, 40);
      phase("steady load running");
      // Every node killed in turn, the oldest (the coordinators' host) first, ~15 s apart.
      for (int index : new int[] {1, 3}) {
        kills.add(killAndRestart(index));
        phase("node " + index + " killed and back");
        LoadChecks.awaitAcked(load, load.acked().size() + 60);
      }

      // A 3 s stop-the-world pause: the node must come back as a member, not be downed.
      LocalCluster.Node paused = cluster.node(2);
      cluster.pause(paused);
      try {
        TimeUnit.SECONDS.sleep(3); // the pause itself is what is under test
      } finally {
        cluster.resume(paused);
      }
      awaitAllUpAndReachable("after node 2 was paused for 3 s");
      phase("node 2 paused for 3 s, still a member");

      // Every core busy for 20 s (a second cluster, a build) while the load goes on.
      saturateCpu(Duration.ofSeconds(20));
      awaitAllUpAndReachable("after 20 s of saturated CPU");
      phase("CPU saturated for 20 s, every member still Up");

      kills.add(killAndRestart(2));
      phase("node 2 killed and back");
      LoadChecks.awaitAcked(load, load.acked().size() + 60);

      // The whole cluster stopped in order and started again, with tasks running.
      cluster.stopGracefully(cluster.nodes());
      for (LocalCluster.Node node : cluster.nodes()) cluster.launch(node);
      for (LocalCluster.Node node : cluster.nodes()) cluster.awaitReady(node);
      phase("whole cluster stopped and started");
      LoadChecks.awaitAcked(load, load.acked().size() + 40);
    } finally {
      load.close();
    }
    acked = load.acked();

    assertEquals(List.of(), load.unexpected(), "answers a client should never see (5xx other than 503, 4xx)");
    Map<String, JsonNode> views = LoadChecks.awaitAllSucceeded(cluster, acked.values());
    assertEquals(List.of(), recorder.overlapping(), "tasks whose handler ran twice at once");
    assertEveryRunIsARecordedAttempt(acked.values(), views);
    assertNoMemberDownedByTheResolver();

    long worstToTerminalMs = acked.values().stream()
        .mapToLong(a -> Instant.parse(views.get(a.id()).get("updatedAt").asText()).toEpochMilli() - a.ackedAtMillis())
        .max().orElse(0);
    System.out.printf("CHAOS: %d tasks acknowledged, all SUCCEEDED; %d submissions sent again after a 503, 429 or"
        + " a node gone; worst acknowledgement -> terminal %d ms%n", acked.size(), load.retried(), worstToTerminalMs);
    for (Kill kill : kills) System.out.println("CHAOS: " + kill.recovery(views.values()));
  }

  @Test
  @Order(2)
  void aDatabaseServerKilledAfterMinutesOfLoadLosesNoAcknowledgedTask() throws Exception {
    SteadyLoad load = new SteadyLoad(cluster, "outage", mix("outage"), 4, Duration.ofMillis(100));
    LoadChecks.DatabaseOutage outage;
    try {
      outage = LoadChecks.killDatabaseUnderLoad(
          cluster, load, Duration.ofSeconds(5), "after-outage", step -> phase("outage: " + step));
      System.out.printf("OUTAGE: database killed %d ms after the last acknowledgement before it; down %d ms%n",
          outage.killedAfterLastAckMs(), outage.restartedAtMillis() - outage.killedAtMillis());
    } finally {
      load.close();
    }

    assertEquals(List.of(), load.unexpected(), "answers a client should never see");
    Map<String, SteadyLoad.Acked> acked = load.acked();
    Map<String, SteadyLoad.Acked> ackedBeforeKill = outage.ackedBeforeKill();
    long[] servingAgainMs = outage.servingAgainMs();
    assertTrue(acked.keySet().containsAll(ackedBeforeKill.keySet()));
    LoadChecks.awaitAllSucceeded(cluster, acked.values());
    for (int i = 0; i < servingAgainMs.length; i++) {
      System.out.printf("OUTAGE: node %d took a new task %d ms after the database was back%n", i + 1, servingAgainMs[i]);
      assertTrue(servingAgainMs[i] <= SERVING_AFTER_DATABASE_BOUND.toMillis(),
          "node " + (i + 1) + " took " + servingAgainMs[i] + " ms to take a task after the database was back");
    }
    System.out.printf("OUTAGE: %d tasks acknowledged before the kill and %d in all: every one present and SUCCEEDED%n",
        ackedBeforeKill.size(), acked.size());
  }

  @Test
  @Order(3)
  void aNodeThatCannotJoinSaysSoAtOnceAndTakesNothing() throws Exception {
    int tasksBefore = cluster.tasksInJournal();
    LocalCluster.Node cutOff = cluster.launchCutOff();
    try {
      LocalCluster.await("the cut-off node's management endpoint", SETTLE, () -> cluster.isAlive(cutOff));
      assertFalse(cluster.isReady(cutOff), "/ready of a node that is not a member");

      HttpResponse<String> answer =
          cluster.post(cutOff, "/api/v1/tasks", "{\"type\":\"noop\",\"payload\":{},\"idempotencyKey\":\"cut-off\"}");
      assertEquals(503, answer.statusCode(), answer.body());
      assertTrue(answer.headers().firstValue("Retry-After").isPresent(), "a 503 says when to come back");
      // "not_serving", decided before any ask; a 503 after the ask timeout would say "timeout".
      assertEquals("not_serving", JSON.readTree(answer.body()).get("error").asText(), answer.body());
      assertEquals(tasksBefore, cluster.tasksInJournal(), "nothing persisted");
    } finally {
      cluster.kill(cutOff);
    }
  }

  // ---------------------------------------------------------------- chaos

  /** A node killed with SIGKILL at {@code at} and started again; {@code name} is what attempts record. */
  private record Kill(int index, String name, long at) {
    /** Kill to the first and the last attempt resumed elsewhere of the attempts lost with it. */
    String recovery(Collection<JsonNode> views) {
      List<Long> resumed = new ArrayList<>();
      for (JsonNode view : views) {
        JsonNode history = view.get("history");
        for (int i = 0; i + 1 < history.size(); i++) {
          JsonNode attempt = history.get(i);
          long started = Instant.parse(attempt.get("startedAt").asText()).toEpochMilli();
          if (attempt.get("outcome").asText().equals("NODE_LOST") && attempt.get("node").asText().equals(name)
              && started < at) {
            long next = Instant.parse(history.get(i + 1).get("startedAt").asText()).toEpochMilli();
            if (next > at) resumed.add(next - at);
          }
        }
      }
      if (resumed.isEmpty()) return "kill node " + index + ": no attempt was running on it";
      return "kill node " + index + " -> first resumed attempt " + resumed.stream().min(Long::compare).get()
          + " ms, last " + resumed.stream().max(Long::compare).get() + " ms (" + resumed.size() + " attempts)";
    }
  }

  private Kill killAndRestart(int index) throws Exception {
    LocalCluster.Node node = cluster.node(index);
    long at = System.currentTimeMillis();
    cluster.kill(node);
    cluster.launch(node);
    cluster.awaitReady(node);
    return new Kill(index, node.name(), at);
  }

  private void saturateCpu(Duration duration) throws InterruptedException {
    int threads = Runtime.getRuntime().availableProcessors() + 1;
    CountDownLatch done = new CountDownLatch(threads);
    long until = System.nanoTime() + duration.toNanos();
    for (int t = 0; t < threads; t++) {
      Thread hog = new Thread(() -> {
        long spin = 0;
        while (System.nanoTime() < until) spin++;
        if (spin == 42) System.out.print(""); // keeps the loop from being optimised away
        done.countDown();
      }, "cpu-hog-" + t);
      hog.setDaemon(true);
      hog.start();
    }
    assertTrue(done.await(duration.toSeconds() + 60, TimeUnit.SECONDS));
  }

  /** Every node's process alive, and every node Up and reachable as node 1 sees it. */
  private void awaitAllUpAndReachable(String when) {
    LocalCluster.await("3 members Up and reachable " + when, SETTLE, () -> {
      for (LocalCluster.Node node : cluster.nodes()) {
        if (!node.isUp()) throw new AssertionError("node " + node.index + " exited " + when);
      }
      JsonNode members = cluster.members(cluster.node(1));
      if (members == null || members.get("unreachable").size() > 0) return false;
      int up = 0;
      for (JsonNode member : members.get("members")) if (member.get("status").asText().equals("Up")) up++;
      return up == 3;
    });
  }

  /** The resolver downs only live-but-silent members; every kill here was for the port probe. */
  private void assertNoMemberDownedByTheResolver() throws Exception {
    for (LocalCluster.Node node : cluster.nodes()) {
      List<String> decisions = cluster.logLines(node).stream()
          .filter(line -> line.contains("SBR took decision") || line.contains("Shutting down myself"))
          .toList();
      assertEquals(List.of(), decisions, "node " + node.index + " log: members downed by the split-brain resolver");
    }
  }

  /** Every call the far end received belongs to an attempt in the task's history. */
  private void assertEveryRunIsARecordedAttempt(Collection<SteadyLoad.Acked> acked, Map<String, JsonNode> views) {
    for (SteadyLoad.Acked task : acked) {
      List<RunRecorder.Run> runs = recorder.runs(task.key());
      if (runs.isEmpty()) continue; // not a recorded task
      int attempts = views.get(task.id()).get("history").size();
      assertTrue(runs.size() <= attempts,
          task.key() + " ran " + runs.size() + " times but its history shows " + attempts + " attempts");
    }
  }

  // ---------------------------------------------------------------- waiting

  /** Progress in the test's output, so that a failure shows how far the run came. */
  private static void phase(String what) {
    System.out.println("CHAOS: " + Instant.now() + " " + what);
    System.out.flush();
  }
}
