package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The task API across two real nodes: idempotency races, batches, cancellation and bad input. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private LocalCluster cluster;
  private ExecutorService pool;

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.start("api", 2);
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterAll
  void stop() {
    if (pool != null) pool.shutdownNow();
    if (cluster != null) cluster.close();
  }

  @Test
  void theSameIdempotentRequestOnTwoNodesAtOnceMakesOneTask() throws Exception {
    for (int i = 0; i < 10; i++) {
      String body = "{\"type\":\"noop\",\"payload\":{\"n\":" + i + "},\"idempotencyKey\":\"same-" + UUID.randomUUID() + "\"}";
      List<HttpResponse<String>> answers = race(body, body);

      List<Integer> statuses = answers.stream().map(HttpResponse::statusCode).sorted().toList();
      assertEquals(List.of(200, 202), statuses, "one creates the task, the other finds it");
      assertEquals(json(answers.get(0)).get("id"), json(answers.get(1)).get("id"));
    }
  }

  @Test
  void differentRequestsWithOneKeyOnTwoNodesAtOnceConflict() throws Exception {
    for (int i = 0; i < 10; i++) {
      String key = "clash-" + UUID.randomUUID();
      List<HttpResponse<String>> answers =
          race("{\"type\":\"noop\",\"payload\":{\"n\":1},\"idempotencyKey\":\"" + key + "\"}",
              "{\"type\":\"noop\",\"payload\":{\"n\":2},\"idempotencyKey\":\"" + key + "\"}");

      List<Integer> statuses = answers.stream().map(HttpResponse::statusCode).sorted().toList();
      assertEquals(List.of(202, 409), statuses);
      HttpResponse<String> conflict = answers.stream().filter(a -> a.statusCode() == 409).findFirst().orElseThrow();
      assertEquals("idempotency_conflict", json(conflict).get("error").asText());
    }
  }

  @Test
  void aWaitingTaskIsCancelledFromAnyNodeAndAnEndedOneRefusesIt() throws Exception {
    HttpResponse<String> submitted =
        cluster.post(cluster.node(1), "/api/v1/tasks", "{\"type\":\"noop\",\"delayMs\":600000,\"priority\":8}");
    assertEquals(202, submitted.statusCode(), submitted.body());
    JsonNode task = json(submitted);
    assertEquals("PENDING", task.get("status").asText());
    assertEquals(8, task.get("priority").asInt());
    assertTrue(task.hasNonNull("nextAttemptAt"));

    String cancelPath = "/api/v1/tasks/" + task.get("id").asText() + "/cancel";
    HttpResponse<String> cancelled = cluster.post(cluster.node(2), cancelPath, "");
    assertEquals(200, cancelled.statusCode(), cancelled.body());
    assertEquals("CANCELLED", json(cancelled).get("status").asText());

    HttpResponse<String> again = cluster.post(cluster.node(1), cancelPath, "");
    assertEquals(409, again.statusCode(), again.body());
    assertEquals("task_already_ended", json(again).get("error").asText());

    HttpResponse<String> unknown = cluster.post(cluster.node(1), "/api/v1/tasks/" + UUID.randomUUID() + "/cancel", "");
    assertEquals(404, unknown.statusCode());
  }

  @Test
  void eachTaskOfABatchIsAnsweredAsItWouldBeAloneAndAnInvalidTaskTakesNone() throws Exception {
    String key = "batch-" + UUID.randomUUID();
    String keyed = "{\"type\":\"noop\",\"payload\":{\"n\":1},\"idempotencyKey\":\"" + key + "\"}";
    HttpResponse<String> before = cluster.post(cluster.node(1), "/api/v1/tasks", keyed);
    assertEquals(202, before.statusCode(), before.body());
    String existingId = json(before).get("id").asText();
    int tasksBefore = cluster.tasksInJournal();

    HttpResponse<String> batch = cluster.post(cluster.node(2), "/api/v1/tasks/batch", "{\"tasks\":["
        + keyed + ","
        + "{\"type\":\"noop\",\"payload\":{\"n\":2},\"idempotencyKey\":\"" + key + "\"},"
        + "{\"type\":\"noop\",\"payload\":{\"n\":3}},"
        + "{\"type\":\"noop\",\"payload\":{\"n\":4},\"priority\":9}]}");

    assertEquals(200, batch.statusCode(), batch.body());
    JsonNode answer = json(batch);
    JsonNode results = answer.get("results");
    assertEquals(List.of(200, 409, 202, 202), statuses(results));
    for (int i = 0; i < 4; i++) assertEquals(i, results.get(i).get("index").asInt(), "results keep the request's order");
    assertEquals(existingId, results.get(0).get("task").get("id").asText(), "the same request finds its task");
    assertEquals("idempotency_conflict", results.get(1).get("error").get("error").asText());
    assertEquals(existingId, results.get(1).get("error").get("details").get("taskId").asText());
    assertEquals(9, results.get(3).get("task").get("priority").asInt());
    assertEquals(List.of(2, 1, 1),
        List.of(answer.get("accepted").asInt(), answer.get("alreadySubmitted").asInt(), answer.get("refused").asInt()));
    assertEquals(tasksBefore + 2, cluster.tasksInJournal(), "exactly the two new tasks were persisted");

    List<String> accepted = List.of(results.get(2).get("task").get("id").asText(), results.get(3).get("task").get("id").asText());
    for (JsonNode task : TaskProgress.awaitTerminal(cluster, accepted, Duration.ofSeconds(30)).values()) {
      assertEquals("SUCCEEDED", task.get("status").asText(), task::toString);
    }

    HttpResponse<String> invalid = cluster.post(cluster.node(1), "/api/v1/tasks/batch",
        "{\"tasks\":[{\"type\":\"noop\"},{\"type\":\"nope\"},{\"type\":\"noop\",\"priority\":12}]}");
    assertEquals(400, invalid.statusCode(), invalid.body());
    assertEquals("invalid_batch", json(invalid).get("error").asText());
    JsonNode items = json(invalid).get("details").get("items");
    assertEquals(List.of(1, 2), items.valueStream().map(item -> item.get("index").asInt()).toList(), "names every invalid task");
    assertEquals("unknown_task_type", items.get(0).get("error").get("error").asText());
    assertEquals("invalid_request", items.get(1).get("error").get("error").asText());
    assertEquals(tasksBefore + 2, cluster.tasksInJournal(), "a batch with an invalid task persisted a task");
  }

  /** Each batch result's own status (not the statuses of the tasks inside). */
  private static List<Integer> statuses(JsonNode results) {
    return results.valueStream().map(result -> result.get("status").asInt()).toList();
  }

  @Test
  void badSubmissionsAreRejectedWithAJsonReasonAndPersistNothing() throws Exception {
    int tasksBefore = cluster.tasksInJournal();
    String[][] cases = {
      {"{\"type\":\"nope\"}", "unknown_task_type"},
      {"{\"type\":", "malformed_json"},
      {"[1,2]", "invalid_request"},
      {"{\"payload\":{}}", "invalid_request"},
      {"{\"type\":\"noop\",\"payload\":[1]}", "invalid_request"},
      {"{\"type\":\"noop\",\"priority\":12}", "invalid_request"},
      {"{\"type\":\"noop\",\"priority\":\"high\"}", "invalid_request"},
      {"{\"type\":\"noop\",\"delayMs\":-1}", "invalid_request"},
      {"{\"type\":\"noop\",\"delayMs\":10,\"runAt\":\"2030-01-01T00:00:00Z\"}", "invalid_request"},
      {"{\"type\":\"noop\",\"runAt\":\"tomorrow\"}", "invalid_request"},
      {"{\"type\":\"noop\",\"attemptTimeoutMs\":0}", "invalid_request"},
      {"{\"type\":\"noop\",\"idempotencyKey\":\"\"}", "invalid_request"},
      {"{\"type\":\"noop\",\"colour\":\"red\"}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":{\"strategy\":\"random\"}}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":{\"maxAttempts\":0}}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":{\"multiplier\":120}}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":{\"jitterFactor\":1.5}}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":{\"initialDelayMs\":\"soon\"}}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":{\"maxRetries\":2,\"maxAttempts\":3}}", "invalid_request"},
      {"{\"type\":\"noop\",\"retryPolicy\":[1]}", "invalid_request"},
    };
    for (String[] c : cases) {
      HttpResponse<String> answer = cluster.post(cluster.node(1), "/api/v1/tasks", c[0]);
      assertEquals(400, answer.statusCode(), c[0] + " -> " + answer.body());
      assertEquals(c[1], json(answer).get("error").asText(), c[0] + " -> " + answer.body());
      assertTrue(json(answer).get("message").asText().length() > 10, answer.body());
    }
    assertEquals(tasksBefore, cluster.tasksInJournal(), "a rejected request persisted a task");
  }

  @Test
  void aTaskDueAtOnceWithAFreeSlotIsAcceptedAlreadyRunningItsFirstAttempt() throws Exception {
    HttpResponse<String> answer = cluster.post(cluster.node(1), "/api/v1/tasks", "{\"type\":\"noop\"}");

    assertEquals(202, answer.statusCode(), answer.body());
    JsonNode task = json(answer);
    assertEquals("RUNNING", task.get("status").asText(), "noop's 64 slots are free here: " + answer.body());
    assertEquals(1, task.get("attempts").asInt());
    assertTrue(task.get("history").get(0).get("endedAt").isNull(), answer.body());
  }

  @Test
  void aSubmittedRetryPolicyOverridesTheTypesAndIsShown() throws Exception {
    HttpResponse<String> answer = cluster.post(cluster.node(1), "/api/v1/tasks",
        "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1},"
            + "\"retryPolicy\":{\"strategy\":\"fixed\",\"initialBackoffMs\":50,\"maxRetries\":5,\"jitter\":\"none\"}}");
    assertEquals(202, answer.statusCode(), answer.body());
    JsonNode policy = json(answer).get("retryPolicy");
    assertEquals("fixed", policy.get("strategy").asText());
    assertEquals(50, policy.get("initialDelayMs").asLong());
    assertEquals(6, policy.get("maxAttempts").asInt());
    assertEquals(6, json(answer).get("maxAttempts").asInt());

    HttpResponse<String> bad = cluster.post(cluster.node(1), "/api/v1/tasks",
        "{\"type\":\"noop\",\"retryPolicy\":{\"multiplier\":120}}");
    assertTrue(json(bad).get("message").asText().contains("multiplier must be between 1.0 and 100.0 but was 120"), bad.body());
  }

  @Test
  void everyNodeServesPrometheusMetricsOnItsApiPort() throws Exception {
    String id = cluster.submit(cluster.node(1), "noop", "{}");
    LocalCluster.await("task " + id + " succeeds", Duration.ofSeconds(30), () -> {
      JsonNode task = cluster.task(cluster.node(1), id);
      return task != null && "SUCCEEDED".equals(task.get("status").asText());
    });

    StringBuilder scrapes = new StringBuilder();
    for (LocalCluster.Node node : cluster.nodes()) {
      HttpResponse<String> metrics = cluster.get(node, "/metrics");
      assertEquals(200, metrics.statusCode(), metrics.body());
      assertEquals("text/plain; version=0.0.4; charset=utf-8",
          metrics.headers().firstValue("Content-Type").orElse("").toLowerCase());
      assertTrue(metrics.body().contains("jvm_memory_used_bytes{area=\"heap\"}"), metrics.body());
      assertTrue(metrics.body().contains("steadfast_cluster_members{status=\"Up\"} 2.0"), metrics.body());
      assertTrue(metrics.body().contains("steadfast_bulkhead_in_use{type=\"noop\"}"), metrics.body());
      scrapes.append(metrics.body());
    }
    // Counted by the task's entity, on whichever node it lives.
    assertTrue(scrapes.toString().contains("steadfast_tasks_submitted_total{type=\"noop\"}"), scrapes.toString());
    assertTrue(scrapes.toString().contains("steadfast_attempts_total{outcome=\"SUCCEEDED\",type=\"noop\"}"), scrapes.toString());
  }

  @Test
  void aNodeKeepsTheTasksItTakesUntilItHoldsMoreThanItsShareThenTheyRunOnTheOtherNodeToo() throws Exception {
    // Ids fall anywhere until every task shard has a home; from then on node 1, idle, keeps the
    // tasks it takes on its own shards.
    LocalCluster.await("node 1 runs the 20 tasks sent to it", Duration.ofSeconds(90), () ->
        firstAttemptNodes(List.of(batchOf(20, "{\"type\":\"noop\"}"))).keySet().equals(Set.of(cluster.node(1).name())));

    // It keeps them while no more than a bulkhead's worth (sleep: 64 slots) more wait there than
    // on node 2: here, the first two batches. The later ones fall on either node's shards.
    String sleep = batchOf(100, "{\"type\":\"sleep\",\"payload\":{\"durationMs\":2000}}");
    Map<String, Integer> ranOn = firstAttemptNodes(Collections.nCopies(5, sleep));
    assertEquals(Set.of(cluster.node(1).name(), cluster.node(2).name()), ranOn.keySet(), "first attempts per node: " + ranOn);
    assertTrue(ranOn.get(cluster.node(2).name()) >= 50, "first attempts per node: " + ranOn);
  }

  private static String batchOf(int count, String task) {
    return "{\"tasks\":[" + String.join(",", Collections.nCopies(count, task)) + "]}";
  }

  /** Sends the batches to node 1 one after the other; how many of their tasks first ran on each node. */
  private Map<String, Integer> firstAttemptNodes(List<String> batches) {
    try {
      List<String> ids = new ArrayList<>();
      for (String batch : batches) {
        HttpResponse<String> answer = cluster.post(cluster.node(1), "/api/v1/tasks/batch", batch);
        assertEquals(200, answer.statusCode(), answer.body());
        for (JsonNode result : json(answer).get("results")) ids.add(result.get("task").get("id").asText());
      }
      Map<String, Integer> ranOn = new TreeMap<>();
      for (JsonNode done : TaskProgress.awaitTerminal(cluster, ids, Duration.ofSeconds(90)).values()) {
        assertEquals("SUCCEEDED", done.get("status").asText(), done::toString);
        ranOn.merge(done.get("history").get(0).get("node").asText(), 1, Integer::sum);
      }
      return ranOn;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends {@code first} to node 1 and {@code second} to node 2 at the same moment. */
  private List<HttpResponse<String>> race(String first, String second) throws Exception {
    CyclicBarrier start = new CyclicBarrier(2);
    List<Future<HttpResponse<String>>> answers = new ArrayList<>();
    answers.add(pool.submit(() -> { start.await(); return cluster.post(cluster.node(1), "/api/v1/tasks", first); }));
    answers.add(pool.submit(() -> { start.await(); return cluster.post(cluster.node(2), "/api/v1/tasks", second); }));
    List<HttpResponse<String>> result = new ArrayList<>();
    for (Future<HttpResponse<String>> answer : answers) result.add(answer.get());
    return result;
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }
}
