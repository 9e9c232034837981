package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dead-letter queue across real nodes: entries survive a kill -9 of the node hosting the
 * queue, a redriven task succeeds, retention keeps each type's newest entries, and a purge
 * removes what it should and nothing else.
 */
class DeadLetterProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A type that dead-letters after one attempt and keeps only its 2 newest dead letters. */
  private static final List<String> DOOMED_TYPE =
      List.of(
          "-Dsteadfast.task-types.doomed.handler=flaky",
          "-Dsteadfast.task-types.doomed.max-attempts=1",
          "-Dsteadfast.task-types.doomed.dead-letters.keep=2");

  @Test
  void deadLettersSurviveTheirHostsDeathAndCanBeRedrivenAndPurged() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("dead-letters", 3, DOOMED_TYPE)) {
      // Fail once, permanently: straight to the queue; a redrive then succeeds (failTimes 1).
      List<String> permanent = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        permanent.add(cluster.submit(cluster.node(1), "flaky", "{\"failTimes\":1,\"error\":\"permanent\"}"));
      }
      List<String> doomed = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        doomed.add(cluster.submit(cluster.node(2), "doomed", "{\"failTimes\":9}"));
        awaitDeadLetters(cluster, 3 + Math.min(i + 1, 2)); // in order, so that "newest" is well defined
      }

      JsonNode stats = json(cluster.get(cluster.node(1), "/api/v1/dead-letters/stats"));
      assertEquals(5, stats.get("total").asInt(), stats::toString);
      assertEquals(2, stats.get("byType").get("doomed").asInt(), "retention kept the 2 newest 'doomed'");
      assertEquals(Set.of(doomed.get(1), doomed.get(2)), idsOfType(cluster, "doomed"));

      String host = stats.get("hostedBy").asText();
      LocalCluster.Node victim = cluster.nodes().stream().filter(n -> n.name().equals(host)).findFirst().orElseThrow();
      cluster.kill(victim);

      LocalCluster.await("the queue on a survivor", Duration.ofSeconds(60), () -> {
        try {
          HttpResponse<String> answer = cluster.get(cluster.anyUp(0), "/api/v1/dead-letters/stats");
          return answer.statusCode() == 200 && !json(answer).get("hostedBy").asText().equals(host);
        } catch (Exception e) {
          return false;
        }
      });
      JsonNode after = json(cluster.get(cluster.anyUp(1), "/api/v1/dead-letters/stats"));
      assertEquals(5, after.get("total").asInt(), "nothing lost with the queue's node: " + after);

      HttpResponse<String> redriven =
          cluster.post(cluster.anyUp(0), "/api/v1/dead-letters/" + permanent.get(0) + "/retry", "");
      assertEquals(200, redriven.statusCode(), redriven.body());
      JsonNode done = TaskProgress.awaitTerminal(cluster, List.of(permanent.get(0)), Duration.ofSeconds(60)).get(permanent.get(0));
      assertEquals("SUCCEEDED", done.get("status").asText(), done::toString);
      assertEquals(2, done.get("history").size());
      assertEquals(404, cluster.get(cluster.anyUp(0), "/api/v1/dead-letters/" + permanent.get(0)).statusCode());

      assertEquals(0, purged(cluster, "/api/v1/dead-letters?olderThanHours=1"), "all entries are younger than 1 h");
      assertEquals(2, purged(cluster, "/api/v1/dead-letters?olderThanHours=0&type=doomed"));
      assertEquals(Set.of(permanent.get(1), permanent.get(2)), idsOfType(cluster, null));
      assertEquals(400, cluster.delete(cluster.anyUp(0), "/api/v1/dead-letters").statusCode(), "olderThanHours is required");
    }
  }

  private static void awaitDeadLetters(LocalCluster cluster, int count) {
    LocalCluster.await(count + " dead letters", Duration.ofSeconds(30), () -> {
      try {
        HttpResponse<String> answer = cluster.get(cluster.anyUp(0), "/api/v1/dead-letters/stats");
        return answer.statusCode() == 200 && json(answer).get("total").asInt() == count;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private static Set<String> idsOfType(LocalCluster cluster, String type) throws Exception {
    String query = type == null ? "" : "?type=" + type;
    JsonNode page = json(cluster.get(cluster.anyUp(0), "/api/v1/dead-letters" + query));
    Set<String> ids = new HashSet<>();
    page.get("entries").forEach(entry -> ids.add(entry.get("taskId").asText()));
    return ids;
  }

  private static int purged(LocalCluster cluster, String path) throws Exception {
    HttpResponse<String> answer = cluster.delete(cluster.anyUp(0), path);
    assertEquals(200, answer.statusCode(), answer.body());
    return json(answer).get("purged").asInt();
  }

  private static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + response.body(), e);
    }
  }
}
