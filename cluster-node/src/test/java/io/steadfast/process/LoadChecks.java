package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** What the tests that put a cluster under {@link SteadyLoad} through failures wait for and check. */
final class LoadChecks {
  static final Duration SETTLE = Duration.ofSeconds(120);
  static final Duration ALL_TERMINAL = Duration.ofSeconds(300);

  private LoadChecks() {}

  /** Until {@code count} submissions are acknowledged; fails at once on an answer no client should see. */
  static void awaitAcked(SteadyLoad load, int count) {
    LocalCluster.await(count + " acknowledged submissions", SETTLE, () -> {
      if (!load.unexpected().isEmpty()) throw new AssertionError("unexpected answers: " + load.unexpected());
      return load.acked().size() >= count;
    });
  }

  /** Until every acknowledged task is terminal; asserts each one SUCCEEDED and answers their last views. */
  static Map<String, JsonNode> awaitAllSucceeded(LocalCluster cluster, Collection<SteadyLoad.Acked> acked)
      throws Exception {
    List<String> ids = acked.stream().map(SteadyLoad.Acked::id).toList();
    Map<String, JsonNode> views = TaskProgress.awaitTerminal(cluster, ids, ALL_TERMINAL);
    List<String> notSucceeded = views.values().stream()
        .filter(view -> !view.get("status").asText().equals("SUCCEEDED"))
        .map(JsonNode::toString)
        .limit(5)
        .toList();
    assertEquals(List.of(), notSucceeded, "acknowledged tasks that did not succeed");
    return views;
  }

  /**
   * A database server killed under load and started again: what was acknowledged before the
   * kill, and how long after the restart each node first took a new task.
   */
  record DatabaseOutage(
      Map<String, SteadyLoad.Acked> ackedBeforeKill, long killedAtMillis, long restartedAtMillis, long[] servingAgainMs) {

    /** From the last acknowledgement before the kill to the kill. */
    long killedAfterLastAckMs() {
      return killedAtMillis - ackedBeforeKill.values().stream().mapToLong(SteadyLoad.Acked::ackedAtMillis).max().orElse(0);
    }
  }

  /**
   * Once 150 submissions of {@code load} are acknowledged, SIGKILLs the cluster's database
   * server, leaves it down for {@code down} with the load going on, starts it again, waits until
   * every node took a new task (keys {@code keyPrefix-index}) and 60 more submissions were
   * acknowledged. {@code phase} reports each step.
   */
  static DatabaseOutage killDatabaseUnderLoad(
      LocalCluster cluster, SteadyLoad load, Duration down, String keyPrefix, Consumer<String> phase) throws Exception {
    awaitAcked(load, 150);
    Map<String, SteadyLoad.Acked> ackedBeforeKill = load.acked();
    phase.accept(ackedBeforeKill.size() + " acknowledged; killing the database server");
    long killedAt = System.currentTimeMillis();
    cluster.killDatabase();
    TimeUnit.MILLISECONDS.sleep(down.toMillis()); // the outage itself, not a wait for a condition
    cluster.restartDatabase();
    long restartedAt = System.currentTimeMillis();
    phase.accept("database server started again");
    long[] servingAgainMs = new long[cluster.nodes().size()];
    for (LocalCluster.Node node : cluster.nodes()) {
      servingAgainMs[node.index - 1] = awaitNewTaskAccepted(cluster, node, keyPrefix) - restartedAt;
    }
    awaitAcked(load, load.acked().size() + 60);
    return new DatabaseOutage(ackedBeforeKill, killedAt, restartedAt, servingAgainMs);
  }

  /** When {@code node} first acknowledged a new task (key {@code keyPrefix-index}) after an outage. */
  private static long awaitNewTaskAccepted(LocalCluster cluster, LocalCluster.Node node, String keyPrefix) {
    String key = keyPrefix + "-" + node.index;
    String body = "{\"type\":\"noop\",\"payload\":{},\"idempotencyKey\":\"" + key + "\"}";
    long[] acceptedAt = new long[1];
    LocalCluster.await("node " + node.index + " taking a new task after the outage", SETTLE, () -> {
      try {
        int status = cluster.post(node, "/api/v1/tasks", body).statusCode();
        if (status == 202 || status == 200) acceptedAt[0] = System.currentTimeMillis();
        return acceptedAt[0] > 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } catch (Exception notAnsweringYet) {
        return false;
      }
    });
    return acceptedAt[0];
  }
}
