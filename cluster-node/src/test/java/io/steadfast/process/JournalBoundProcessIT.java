package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Writes piling up in the node's journal: with the database frozen (SIGSTOP), 40 attempts end
 * into a queue of 16 (written 4 at a time; the plugin refuses a write past that). While half of
 * it is taken the node turns submissions away at once with {@code 429 overloaded} (bound {@code
 * journal}), JSON and Retry-After, and persists nothing; once the database goes on, the refused
 * submissions sent again with their idempotency keys are taken, and every task (any whose write
 * the full queue refused included) runs to SUCCEEDED exactly once. Then one batch larger than the
 * whole queue: the submissions beyond its room get 429 at once, none a 503.
 */
class JournalBoundProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SMALL_QUEUE = List.of(
      "-Djdbc-journal.bufferSize=16", "-Djdbc-journal.batchSize=4", "-Djdbc-journal.parallelism=1");
  private static final int SLEEPS = 40;
  private static final int LATE = 20;

  @Test
  void aFullJournalTurnsSubmissionsAwayAndLosesNothingAcknowledged() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("journal-bound", 1, SMALL_QUEUE)) {
      LocalCluster.Node node = cluster.node(1);
      Map<String, String> acknowledged = new ConcurrentHashMap<>();
      List<String> sleeps = keys("sleep", SLEEPS);
      // Eight at a time: of forty at once, those beyond the queue's room would be turned away
      // (the burst below), and sending them again takes long enough for the first sleeps to end
      // before the pause.
      for (int from = 0; from < SLEEPS; from += 8) {
        assertEquals(List.of(), submit(cluster, node, sleeps.subList(from, from + 8), "sleep",
            "{\"durationMs\":1500}", acknowledged), "the sleeps are taken before the database stops");
      }

      cluster.pauseDatabase();
      int peak;
      List<JsonNode> refused;
      List<String> late = keys("late", LATE);
      try {
        // The sleeps end within 1.5 s and their writes queue; the database answers nothing.
        LocalCluster.await("the journal holding half its queue", Duration.ofSeconds(30),
            () -> queuedWrites(cluster, node) >= 8);
        peak = queuedWrites(cluster, node);
        refused = new ArrayList<>();
        List<String> notTaken = submit(cluster, node, late, "noop", "{}", acknowledged, refused);
        assertEquals(late, notTaken, "no submission is taken while the journal is full");
      } finally {
        cluster.resumeDatabase();
      }
      for (JsonNode refusal : refused) {
        assertEquals(429, refusal.get("status").asInt(), refusal::toString);
        JsonNode error = refusal.get("error");
        assertEquals("overloaded", error.get("error").asText(), refusal::toString);
        assertEquals("journal", error.get("details").get("bound").asText(), refusal::toString);
      }
      assertEquals(SLEEPS, cluster.tasksInJournal(), "the refused submissions persisted nothing");

      // The client sends the refused ones again, with their keys, until each is taken.
      LocalCluster.await("every late task taken once sent again", Duration.ofSeconds(60), () -> {
        List<String> missing = late.stream().filter(key -> !acknowledged.containsKey(key)).toList();
        return submit(cluster, node, missing, "noop", "{}", acknowledged).isEmpty();
      });

      Map<String, JsonNode> done = TaskProgress.awaitTerminal(cluster, acknowledged.values(), Duration.ofSeconds(120));
      int retried = 0;
      for (JsonNode task : done.values()) {
        assertEquals("SUCCEEDED", task.get("status").asText(), task::toString);
        if (task.get("attempts").size() > 1) retried++;
      }
      assertEquals(SLEEPS + LATE, done.size());
      assertEquals(SLEEPS + LATE, cluster.tasksInJournal(), "one task per key, no more");
      System.out.println("JOURNAL BOUND: " + peak + " writes queued with the database stopped; " + refused.size()
          + " submissions refused with 429 (bound journal), all taken when sent again; " + retried + " of " + SLEEPS
          + " sleeps ran again after their end was refused by the full queue; all " + done.size() + " SUCCEEDED");

      // One batch larger than the whole queue, the database running: its tasks are admitted
      // before any write of theirs is queued, so those beyond the queue's room are turned away
      // with 429 at once, where they used to overflow the queue and wait out the ask for a 503.
      List<String> burst = keys("burst", SLEEPS);
      List<JsonNode> burstRefused = new ArrayList<>();
      submit(cluster, node, burst, "noop", "{}", acknowledged, burstRefused);
      assertTrue(!burstRefused.isEmpty(), "40 submissions at once do not fit a queue of 16");
      for (JsonNode refusal : burstRefused) {
        assertEquals(429, refusal.get("status").asInt(), refusal::toString);
        assertEquals("journal", refusal.get("error").get("details").get("bound").asText(), refusal::toString);
      }
      LocalCluster.await("every task of the burst taken once sent again", Duration.ofSeconds(60), () -> {
        List<String> missing = burst.stream().filter(key -> !acknowledged.containsKey(key)).toList();
        return submit(cluster, node, missing, "noop", "{}", acknowledged).isEmpty();
      });
      List<String> burstIds = burst.stream().map(acknowledged::get).toList();
      Map<String, JsonNode> burstDone = TaskProgress.awaitTerminal(cluster, burstIds, Duration.ofSeconds(120));
      for (JsonNode task : burstDone.values()) assertEquals("SUCCEEDED", task.get("status").asText(), task::toString);
      assertEquals(SLEEPS + LATE + SLEEPS, cluster.tasksInJournal(), "one task per key, no more");
      System.out.println("JOURNAL BOUND: a batch of " + SLEEPS + " into a queue of 16: " + burstRefused.size()
          + " refused with 429 at once, none with 503; all SUCCEEDED once sent again");
    }
  }

  private static List<String> keys(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> "journal-bound-" + prefix + "-" + i).toList();
  }

  private static List<String> submit(LocalCluster cluster, LocalCluster.Node node, List<String> keys, String type,
      String payload, Map<String, String> acknowledged) {
    return submit(cluster, node, keys, type, payload, acknowledged, new ArrayList<>());
  }

  /** One batch; records each task taken, collects each refusal, and returns the keys not taken. */
  private static List<String> submit(LocalCluster cluster, LocalCluster.Node node, List<String> keys, String type,
      String payload, Map<String, String> acknowledged, List<JsonNode> refusals) {
    if (keys.isEmpty()) return List.of();
    String body = keys.stream()
        .map(key -> "{\"type\":\"" + type + "\",\"priority\":9,\"payload\":" + payload + ",\"idempotencyKey\":\"" + key + "\"}")
        .collect(Collectors.joining(",", "{\"tasks\":[", "]}"));
    try {
      HttpResponse<String> answer = cluster.post(node, "/api/v1/tasks/batch", body);
      assertEquals(200, answer.statusCode(), answer.body());
      JsonNode results = JSON.readTree(answer.body()).get("results");
      List<String> notTaken = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        JsonNode result = results.get(i);
        int status = result.get("status").asInt();
        if (status == 202 || status == 200) {
          acknowledged.put(keys.get(i), result.get("task").get("id").asText());
        } else {
          assertTrue(status == 429 || status == 503, result::toString);
          refusals.add(result);
          notTaken.add(keys.get(i));
        }
      }
      if (!notTaken.isEmpty()) {
        assertTrue(answer.headers().firstValue("Retry-After").isPresent(), "tells the client when to come back");
      }
      return notTaken;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The node's {@code steadfast_journal_queued_writes} gauge, as it scrapes now. */
  private static int queuedWrites(LocalCluster cluster, LocalCluster.Node node) {
    String sample = "steadfast_journal_queued_writes ";
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
}
