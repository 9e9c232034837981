package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Past its load bound a node turns low-priority submissions away with 429 and Retry-After while
 * it still takes high-priority ones, and every task it accepted finishes.
 */
class OverloadProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A bound of 40; a slow type that runs 2 at a time, so that its attempts pile up waiting. */
  private static final List<String> SMALL_BOUND =
      List.of(
          "-Dsteadfast.admission.max-load=40",
          "-Dsteadfast.task-types.slow.handler=sleep",
          "-Dsteadfast.task-types.slow.bulkhead.concurrency=2");

  @Test
  void pastTheBoundLowPrioritiesAreShedAndEveryAcceptedTaskFinishes() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("overload", 1, SMALL_BOUND)) {
      LocalCluster.Node node = cluster.node(1);
      List<String> accepted = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        HttpResponse<String> answer = submit(cluster, node, 9);
        assertEquals(202, answer.statusCode(), answer.body());
        accepted.add(json(answer).get("id").asText());
      }
      // 2 run and 28 ask for a slot: once 20 wait (half the bound) low priorities are shed; the
      // bound (40) still takes high ones. Each 1.5 s two finish, so the queue stays past 20 a while.
      LocalCluster.await("at least 20 slow attempts waiting for a slot", Duration.ofSeconds(20),
          () -> waitingAttempts(cluster, node, "slow") >= 20);

      HttpResponse<String> low = submit(cluster, node, 0);
      assertEquals(429, low.statusCode(), low.body());
      assertEquals("overloaded", json(low).get("error").asText());
      assertTrue(low.headers().firstValue("Retry-After").isPresent(), "tells the client when to come back");

      HttpResponse<String> high = submit(cluster, node, 9);
      assertEquals(202, high.statusCode(), high.body());
      accepted.add(json(high).get("id").asText());

      // In a batch each task is admitted on its own: the low ones are shed, the high one taken.
      HttpResponse<String> batch = cluster.post(node, "/api/v1/tasks/batch",
          "{\"tasks\":[" + slowTask(0) + "," + slowTask(9) + "," + slowTask(0) + "]}");
      assertEquals(200, batch.statusCode(), batch.body());
      JsonNode results = json(batch).get("results");
      assertEquals(List.of(429, 202, 429), results.valueStream().map(result -> result.get("status").asInt()).toList());
      assertEquals("overloaded", results.get(0).get("error").get("error").asText());
      assertTrue(batch.headers().firstValue("Retry-After").isPresent(), "tells the client when to send the shed ones");
      accepted.add(results.get(1).get("task").get("id").asText());

      Map<String, JsonNode> done = TaskProgress.awaitTerminal(cluster, accepted, Duration.ofSeconds(90));
      for (JsonNode task : done.values()) assertEquals("SUCCEEDED", task.get("status").asText(), task::toString);
      assertEquals(32, done.size());
    }
  }

  /** The node's {@code steadfast_bulkhead_waiting} gauge for {@code type}, as it scrapes now. */
  private static int waitingAttempts(LocalCluster cluster, LocalCluster.Node node, String type) {
    String sample = "steadfast_bulkhead_waiting{type=\"" + type + "\"} ";
    try {
      return cluster.get(node, "/metrics").body().lines()
          .filter(line -> line.startsWith(sample))
          .mapToInt(line -> (int) Double.parseDouble(line.substring(sample.length()).trim()))
          .findFirst()
          .orElse(0);
    } catch (Exception e) {
      throw new IllegalStateException("could not scrape " + node.name(), e);
    }
  }

  private static HttpResponse<String> submit(LocalCluster cluster, LocalCluster.Node node, int priority) throws Exception {
    return cluster.post(node, "/api/v1/tasks", slowTask(priority));
  }

  private static String slowTask(int priority) {
    return "{\"type\":\"slow\",\"priority\":" + priority + ",\"payload\":{\"durationMs\":1500}}";
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }
}
