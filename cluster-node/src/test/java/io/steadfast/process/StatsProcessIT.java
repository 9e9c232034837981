package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Stats and the task listing come from the read side: right for the whole cluster, unchanged by
 * a node's death, and a listing pages through every task exactly once.
 */
class StatsProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void statsAreRightForTheWholeClusterAndSurviveANodesDeath() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("stats", 3)) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 60; i++) ids.add(cluster.submit(cluster.anyUp(i), "noop", "{}"));
      for (int i = 0; i < 10; i++) ids.add(cluster.submit(cluster.anyUp(i), "flaky", "{\"failTimes\":1,\"error\":\"permanent\"}"));
      // Few enough retryable failures that the flaky type's breaker stays closed (5 would open it).
      for (int i = 0; i < 4; i++) ids.add(cluster.submit(cluster.anyUp(i), "flaky", "{\"failTimes\":1}"));
      TaskProgress.awaitTerminal(cluster, ids, Duration.ofSeconds(60));

      JsonNode stats = awaitStats(cluster, s -> s.get("totals").get("submitted").asInt() == 74
          && s.get("readSide").get("events").asLong() == 0);
      assertExpectedFigures(stats);
      // Projected events leave the tag table (eventsByTag on H2 costs time per tag row) but
      // stay in the journal: 74 tasks of at least 3 events each.
      assertEquals(0, cluster.tagRows());
      assertTrue(cluster.eventsInJournal("Task|") >= 74 * 3);
      System.out.printf("STATS: read side %d events / %d ms behind after the run%n",
          stats.get("readSide").get("events").asLong(), stats.get("readSide").get("millis").asLong());

      cluster.kill(cluster.node(3));
      JsonNode afterKill = awaitStats(cluster, s -> true);
      assertExpectedFigures(afterKill);

      Set<String> listed = new HashSet<>();
      String cursor = null;
      int pages = 0;
      do {
        JsonNode page = json(cluster.get(cluster.anyUp(0), "/api/v1/tasks?limit=25" + (cursor == null ? "" : "&after=" + cursor)));
        page.get("tasks").forEach(task -> assertTrue(listed.add(task.get("id").asText()), "listed twice: " + task));
        cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
        pages++;
      } while (cursor != null);
      assertEquals(new HashSet<>(ids), listed);
      assertEquals(3, pages);
      assertEquals(10, json(cluster.get(cluster.anyUp(0), "/api/v1/tasks?status=DEAD_LETTERED")).get("tasks").size());
      assertEquals(14, json(cluster.get(cluster.anyUp(0), "/api/v1/tasks?type=flaky&limit=100")).get("tasks").size());
      assertEquals(400, cluster.get(cluster.anyUp(0), "/api/v1/tasks?status=LOST").statusCode());
    }
  }

  private static void assertExpectedFigures(JsonNode stats) {
    JsonNode totals = stats.get("totals");
    assertEquals(74, totals.get("submitted").asInt(), stats::toString);
    assertEquals(64, totals.get("succeeded").asInt(), stats::toString);
    assertEquals(10, totals.get("deadLettered").asInt(), stats::toString);
    assertEquals(14, totals.get("failedAttempts").asInt(), stats::toString);
    assertEquals(4, totals.get("retried").asInt(), stats::toString);
    assertEquals(78, totals.get("attempts").asInt(), stats::toString); // 60 + 10 + 4 x 2
    assertEquals(64, stats.get("byStatus").get("SUCCEEDED").asInt());
    assertEquals(14, stats.get("failuresByErrorType").get("FLAKY").asInt());
    assertEquals(60, stats.get("byType").get("noop").get("totals").get("succeeded").asInt());
    assertEquals(10, stats.get("deadLetters").get("total").asInt());
  }

  private static JsonNode awaitStats(LocalCluster cluster, java.util.function.Predicate<JsonNode> ready) {
    JsonNode[] last = new JsonNode[1];
    LocalCluster.await("stats", Duration.ofSeconds(60), () -> {
      try {
        HttpResponse<String> answer = cluster.get(cluster.anyUp(0), "/api/v1/stats");
        if (answer.statusCode() != 200) return false;
        last[0] = json(answer);
        return last[0].get("totals").get("submitted").asInt() == 74 && ready.test(last[0]);
      } catch (Exception e) {
        return false;
      }
    });
    return last[0];
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }
}
