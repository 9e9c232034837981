package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

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

  /** When {@code node} first acknowledged a new task (key {@code keyPrefix-index}) after an outage. */
  static long awaitNewTaskAccepted(LocalCluster cluster, LocalCluster.Node node, String keyPrefix) {
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
