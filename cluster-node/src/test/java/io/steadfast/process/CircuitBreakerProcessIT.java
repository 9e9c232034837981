package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A task type's breaker across real nodes: it opens on failures, defers that type's tasks
 * without spending their attempts while other types run, closes after a successful trial, and
 * keeps its state when the node hosting it is killed.
 */
class CircuitBreakerProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BREAKER = "/api/v1/circuit-breakers/fragile";
  /**
   * Opens after 3 consecutive failures, half-opens 6 s later: long enough for a transition to
   * reach every node (2.1-2.3 s at worst in CI runs) before a task meant to be deferred is sent.
   */
  private static final List<String> FRAGILE_TYPE =
      List.of(
          "-Dsteadfast.task-types.fragile.handler=flaky",
          "-Dsteadfast.task-types.fragile.max-attempts=1",
          "-Dsteadfast.task-types.fragile.circuit-breaker.failure-threshold=3",
          "-Dsteadfast.task-types.fragile.circuit-breaker.failure-rate-threshold=0",
          "-Dsteadfast.task-types.fragile.circuit-breaker.reset-timeout=6s",
          "-Dsteadfast.task-types.fragile.circuit-breaker.max-reset-timeout=6s");

  @Test
  void aBreakerOpensDefersItsTypeClosesAfterATrialAndOutlivesItsNode() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("breakers", 3, FRAGILE_TYPE)) {
      for (int i = 0; i < 3; i++) cluster.submit(cluster.node(1 + i % 3), "fragile", "{\"failTimes\":1}");
      JsonNode open = awaitBreaker(cluster, b -> b.get("state").asText().equals("OPEN"));
      assertEquals("CLOSED", open.get("transitions").get(0).get("from").asText());
      // A task's entity may live on any node, and each node decides from its own copy of the breaker.
      awaitEveryNodeKnows(cluster, "OPEN");

      String deferred = cluster.submit(cluster.node(2), "fragile", "{\"failTimes\":0}");
      String other = cluster.submit(cluster.node(3), "noop", "{}");
      JsonNode waiting = awaitTask(cluster, deferred, t -> t.get("status").asText().equals("DEFERRED"));
      assertEquals(0, waiting.get("attempts").asInt(), "a deferral spends no attempt");
      assertEquals("SUCCEEDED", TaskProgress.awaitTerminal(cluster, List.of(other), Duration.ofSeconds(30))
          .get(other).get("status").asText(), "other types run untouched");

      JsonNode done = TaskProgress.awaitTerminal(cluster, List.of(deferred), Duration.ofSeconds(60)).get(deferred);
      assertEquals("SUCCEEDED", done.get("status").asText(), done::toString);
      assertEquals(1, done.get("attempts").asInt());
      JsonNode closed = awaitBreaker(cluster, b -> b.get("state").asText().equals("CLOSED"));
      List<String> path = transitions(closed);
      assertEquals(List.of("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED"), path.subList(path.size() - 3, path.size()));

      HttpResponse<String> forced = cluster.post(cluster.node(1), BREAKER + "/open", "");
      assertEquals(200, forced.statusCode(), forced.body());
      JsonNode before = json(forced);
      String host = before.get("hostedBy").asText();
      LocalCluster.Node victim = cluster.nodes().stream().filter(n -> n.name().equals(host)).findFirst().orElseThrow();
      cluster.kill(victim);

      JsonNode after = awaitBreaker(cluster, b -> !b.get("hostedBy").asText().equals(host));
      assertEquals("FORCED_OPEN", after.get("state").asText());
      assertEquals(before.get("openedAt"), after.get("openedAt"));
      assertEquals(before.get("transitions"), after.get("transitions"));
      assertNotEquals(host, after.get("hostedBy").asText());

      printTransitionLags(cluster);
      HttpResponse<String> reset = cluster.post(cluster.anyUp(0), BREAKER + "/reset", "");
      assertEquals("CLOSED", json(reset).get("state").asText(), reset.body());
      assertEquals(404, cluster.get(cluster.anyUp(0), "/api/v1/circuit-breakers/nope").statusCode());
    }
  }

  /** Each node logs when it learns of a transition, and how long after it happened. */
  private static void printTransitionLags(LocalCluster cluster) throws Exception {
    java.util.regex.Pattern lag = java.util.regex.Pattern.compile("is (\\w+) here (\\d+) ms after the transition");
    List<Long> lags = new java.util.ArrayList<>();
    for (LocalCluster.Node node : cluster.nodes()) {
      for (String line : cluster.logLines(node)) {
        java.util.regex.Matcher m = lag.matcher(line);
        if (m.find()) lags.add(Long.parseLong(m.group(2)));
      }
    }
    java.util.Collections.sort(lags);
    System.out.printf("BREAKER: %d transition arrivals on nodes; lag ms min %d, median %d, max %d%n",
        lags.size(), lags.get(0), lags.get(lags.size() / 2), lags.get(lags.size() - 1));
  }

  /** Every node has logged that its copy of the breaker is {@code state}. */
  private static void awaitEveryNodeKnows(LocalCluster cluster, String state) {
    String known = "circuit breaker of 'fragile' is " + state + " here";
    LocalCluster.await("every node to know the breaker is " + state, Duration.ofSeconds(30), () -> {
      try {
        for (LocalCluster.Node node : cluster.nodes()) {
          if (cluster.logLines(node).stream().noneMatch(line -> line.contains(known))) return false;
        }
        return true;
      } catch (java.io.IOException e) {
        return false;
      }
    });
  }

  private static JsonNode awaitBreaker(LocalCluster cluster, Predicate<JsonNode> condition) {
    JsonNode[] last = new JsonNode[1];
    LocalCluster.await("the breaker to match", Duration.ofSeconds(60), () -> {
      try {
        HttpResponse<String> answer = cluster.get(cluster.anyUp(0), BREAKER);
        if (answer.statusCode() != 200) return false;
        last[0] = json(answer);
        return condition.test(last[0]);
      } catch (Exception e) {
        return false;
      }
    });
    return last[0];
  }

  private static JsonNode awaitTask(LocalCluster cluster, String id, Predicate<JsonNode> condition) {
    JsonNode[] last = new JsonNode[1];
    LocalCluster.await("task " + id + " to match", Duration.ofSeconds(30), () -> {
      last[0] = cluster.task(cluster.anyUp(0), id);
      return last[0] != null && condition.test(last[0]);
    });
    return last[0];
  }

  private static List<String> transitions(JsonNode breaker) {
    List<String> path = new java.util.ArrayList<>();
    breaker.get("transitions").forEach(t -> path.add(t.get("from").asText() + "->" + t.get("to").asText()));
    return path;
  }

  private static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }
}
