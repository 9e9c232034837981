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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A burst larger than the node's journal queue: the node turns submissions away (429 {@code overloaded}, bound {@code journal}, or 503 {@code
 * timeout} for a write the full queue refused) with JSON and Retry-After, never acknowledges a
 * write it did not make, and a client that sends the refused ones again with their idempotency
 * keys ends with every task run exactly once. The queue holds 16 writes beyond the batch being
 * gathered (4 rows) and the one being written, so that 200 new tasks at once overflow it.
 */
class JournalBoundProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCHES = 4;
  private static final int PER_BATCH = 50;
  private static final List<String> SMALL_QUEUE = List.of(
      "-Djdbc-journal.bufferSize=16", "-Djdbc-journal.batchSize=4", "-Djdbc-journal.parallelism=1");

  @Test
  void aBurstPastTheJournalQueueIsRefusedCleanlyAndLosesNothingAcknowledged() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("journal-bound", 1, SMALL_QUEUE)) {
      LocalCluster.Node node = cluster.node(1);
      List<String> keys = IntStream.range(0, BATCHES * PER_BATCH).mapToObj(i -> "journal-bound-" + i).toList();
      Map<String, String> acknowledged = new ConcurrentHashMap<>();
      Map<Integer, Integer> refusals = new ConcurrentHashMap<>();

      // All batches at once: the first ones fill the journal's queue before it writes anything.
      List<CompletableFuture<Void>> burst = new ArrayList<>();
      for (int b = 0; b < BATCHES; b++) {
        List<String> batch = keys.subList(b * PER_BATCH, (b + 1) * PER_BATCH);
        burst.add(CompletableFuture.runAsync(() -> send(cluster, node, batch, acknowledged, refusals)));
      }
      CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get();
      assertTrue(refusals.values().stream().mapToInt(Integer::intValue).sum() > 0,
          "the burst reached the journal's bound: " + refusals);
      Map<String, String> firstRound = Map.copyOf(acknowledged);

      // The client sends the refused ones again, with their keys, until each is taken.
      LocalCluster.await("every task acknowledged after resubmission", Duration.ofSeconds(120), () -> {
        List<String> missing = keys.stream().filter(key -> !acknowledged.containsKey(key)).toList();
        if (!missing.isEmpty()) send(cluster, node, missing, acknowledged, refusals);
        return acknowledged.size() == keys.size();
      });

      Map<String, JsonNode> done = TaskProgress.awaitTerminal(cluster, acknowledged.values(), Duration.ofSeconds(120));
      for (JsonNode task : done.values()) assertEquals("SUCCEEDED", task.get("status").asText(), task::toString);
      // Acknowledged in the burst means in the journal: the same task, found again on resubmission.
      for (var first : firstRound.entrySet()) assertEquals(first.getValue(), acknowledged.get(first.getKey()));
      Set<String> ids = new HashSet<>(acknowledged.values());
      assertEquals(keys.size(), ids.size());
      assertEquals(keys.size(), cluster.tasksInJournal(), "one task per key, no more");
      System.out.println("JOURNAL BOUND: " + keys.size() + " tasks in a burst of " + BATCHES + " batches; refused "
          + refusals + " (status -> answers); " + firstRound.size() + " acknowledged at once, all SUCCEEDED");
    }
  }

  /** One batch of noop tasks; records each acknowledged task and counts each refusal by status. */
  private static void send(LocalCluster cluster, LocalCluster.Node node, List<String> keys,
      Map<String, String> acknowledged, Map<Integer, Integer> refusals) {
    String body = keys.stream()
        .map(key -> "{\"type\":\"noop\",\"priority\":9,\"idempotencyKey\":\"" + key + "\"}")
        .collect(Collectors.joining(",", "{\"tasks\":[", "]}"));
    try {
      HttpResponse<String> answer = cluster.post(node, "/api/v1/tasks/batch", body);
      assertEquals(200, answer.statusCode(), answer.body());
      JsonNode results = JSON.readTree(answer.body()).get("results");
      boolean anyRefused = false;
      for (int i = 0; i < keys.size(); i++) {
        JsonNode result = results.get(i);
        int status = result.get("status").asInt();
        switch (status) {
          case 202, 200 -> acknowledged.put(keys.get(i), result.get("task").get("id").asText());
          case 429, 503 -> {
            String error = result.get("error").get("error").asText();
            assertEquals(status == 429 ? "overloaded" : "timeout", error, result::toString);
            refusals.merge(status, 1, Integer::sum);
            anyRefused = true;
          }
          default -> throw new AssertionError("unexpected answer " + result);
        }
      }
      if (anyRefused) {
        assertTrue(answer.headers().firstValue("Retry-After").isPresent(), "tells the client when to come back");
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
