package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Workflows on one 3-node cluster, in order: invalid graphs refused with nothing stored; a
 * diamond whose last step reads both middle steps' results; a step dead-lettered, redriven, and
 * its workflow finishing; a cancel; and 50 workflows in flight while a node is killed (kill -9),
 * all finishing with every step's first attempt after its dependencies ended and no step run as
 * two tasks, as the steps' attempt histories and the journal show.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkflowProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration FINISH_BOUND = Duration.ofSeconds(120);

  private LocalCluster cluster;

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.start("workflows", 3, List.of(
        "-Dsteadfast.task-types.sleep.max-attempts=10",
        // Permanent failures open no breaker, but keep the doomed step's type apart anyway.
        "-Dsteadfast.task-types.doomed.handler=flaky",
        "-Dsteadfast.task-types.doomed.max-attempts=1"));
  }

  @AfterAll
  void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(1)
  void anInvalidWorkflowIsRefusedNamingEachProblemAndNothingIsStored() throws Exception {
    int tasksBefore = cluster.tasksInJournal();
    int workflowEventsBefore = cluster.eventsInJournal("Workflow|");
    String body = """
        {"name": "broken", "steps": [
          {"name": "a", "type": "echo", "dependsOn": ["c"]},
          {"name": "b", "type": "nope"},
          {"name": "c", "type": "echo", "dependsOn": ["a", "ghost"]},
          {"name": "a", "type": "echo"}
        ]}""";
    HttpResponse<String> response = cluster.post(cluster.node(1), "/api/v1/workflows", body);
    assertEquals(400, response.statusCode(), response.body());
    JsonNode error = JSON.readTree(response.body());
    assertEquals("invalid_workflow", error.get("error").asText());
    String problems = error.get("details").get("problems").toString();
    for (String named : List.of("unknown task type 'nope'", "unknown step 'ghost'", "'a' is used more than once",
        "cycle: a -> c -> a")) {
      assertTrue(problems.contains(named), "no problem names " + named + ": " + problems);
    }
    StringBuilder many = new StringBuilder("{\"name\": \"huge\", \"steps\": [");
    for (int i = 0; i <= 100; i++) many.append(i == 0 ? "" : ",").append("{\"name\":\"s").append(i).append("\",\"type\":\"noop\"}");
    HttpResponse<String> tooMany = cluster.post(cluster.node(2), "/api/v1/workflows", many + "]}");
    assertEquals(400, tooMany.statusCode(), tooMany.body());
    assertTrue(tooMany.body().contains("at most 100 steps"), tooMany.body());

    assertEquals(tasksBefore, cluster.tasksInJournal(), "tasks stored for a refused workflow");
    assertEquals(workflowEventsBefore, cluster.eventsInJournal("Workflow|"), "workflow events stored for a refused one");
  }

  @Test
  @Order(2)
  void aDiamondRunsInOrderAndItsLastStepReadsBothMiddleResults() throws Exception {
    String body = """
        {"name": "diamond", "idempotencyKey": "diamond-1", "steps": [
          {"name": "a", "type": "echo", "payload": {"account": 42}},
          {"name": "b", "type": "echo", "payload": {"bill": true}, "dependsOn": ["a"]},
          {"name": "c", "type": "echo", "payload": {"mail": true}, "dependsOn": ["a"]},
          {"name": "d", "type": "echo", "payload": {"notify": "sales"}, "dependsOn": ["b", "c"]}
        ]}""";
    HttpResponse<String> created = cluster.post(cluster.node(1), "/api/v1/workflows", body);
    assertEquals(202, created.statusCode(), created.body());
    String id = JSON.readTree(created.body()).get("id").asText();
    HttpResponse<String> again = cluster.post(cluster.node(3), "/api/v1/workflows", body);
    assertEquals(200, again.statusCode(), "the same request with the same key: " + again.body());
    assertEquals(id, JSON.readTree(again.body()).get("id").asText());

    JsonNode done = awaitStatus(id, "SUCCEEDED");
    JsonNode d = step(done, "d");
    assertEquals("SUCCEEDED", d.get("state").asText());
    JsonNode dependencies = d.get("result").get("dependencies");
    assertEquals(true, dependencies.get("b").get("payload").get("bill").asBoolean(), d.toString());
    assertEquals(true, dependencies.get("c").get("payload").get("mail").asBoolean(), d.toString());
    assertEquals(42, dependencies.get("b").get("dependencies").get("a").get("payload").get("account").asInt(),
        "b read a's result, and d reads it through b: " + d);
    assertStepsStartedAfterTheirDependencies(done);

    LocalCluster.await("the diamond listed as SUCCEEDED", Duration.ofSeconds(30), () -> {
      JsonNode page = json(getQuietly("/api/v1/workflows?status=SUCCEEDED&name=diamond"));
      return page != null && page.get("workflows").size() == 1 && page.get("workflows").get(0).get("id").asText().equals(id)
          && page.get("workflows").get(0).get("stepsSucceeded").asInt() == 4;
    });
    JsonNode stats = json(cluster.get(cluster.node(3), "/api/v1/stats"));
    assertTrue(stats.get("workflows").get("SUCCEEDED").asLong() >= 1, stats.toString());
  }

  @Test
  @Order(3)
  void aDeadLetteredStepFailsTheWorkflowAndRedrivingItFinishesTheWorkflow() throws Exception {
    String body = """
        {"name": "signup", "steps": [
          {"name": "create", "type": "echo"},
          {"name": "bill", "type": "doomed", "payload": {"failTimes": 1, "error": "permanent"}, "dependsOn": ["create"]},
          {"name": "welcome", "type": "echo", "dependsOn": ["bill"]}
        ]}""";
    String id = submit(2, body);
    JsonNode failed = awaitStatus(id, "FAILED");
    JsonNode bill = step(failed, "bill");
    assertEquals("DEAD_LETTERED", bill.get("state").asText(), failed.toString());
    assertEquals(1, bill.get("attempts").asInt());
    JsonNode welcome = step(failed, "welcome");
    assertEquals("WAITING_FOR_DEPENDENCIES", welcome.get("state").asText());
    assertEquals("[\"bill\"]", welcome.get("blockedBy").toString());
    assertTrue(welcome.get("taskId").isNull(), "a step whose dependency failed must not start: " + welcome);
    assertNull(cluster.task(cluster.node(1), taskIdFor(id, "welcome")), "the dependent's task exists");

    String billTask = bill.get("taskId").asText();
    LocalCluster.await("the dead letter filed", Duration.ofSeconds(30),
        () -> json(getQuietly("/api/v1/dead-letters/" + billTask)) != null);
    HttpResponse<String> redriven = cluster.post(cluster.node(3), "/api/v1/dead-letters/" + billTask + "/retry", "");
    assertEquals(200, redriven.statusCode(), redriven.body());

    JsonNode done = awaitStatus(id, "SUCCEEDED");
    assertEquals(2, step(done, "bill").get("attempts").asInt(), done.toString());
    assertStepsStartedAfterTheirDependencies(done);
  }

  @Test
  @Order(4)
  void cancellingAWorkflowCancelsItsRunningStepAndStartsNoOther() throws Exception {
    String id = submit(3, """
        {"name": "long", "steps": [
          {"name": "wait", "type": "sleep", "payload": {"durationMs": 60000}},
          {"name": "after", "type": "echo", "dependsOn": ["wait"]}
        ]}""");
    LocalCluster.await("the first step running", Duration.ofSeconds(30),
        () -> "RUNNING".equals(stateOf(workflow(id), "wait")));
    HttpResponse<String> cancelled = cluster.post(cluster.node(1), "/api/v1/workflows/" + id + "/cancel", "");
    assertEquals(200, cancelled.statusCode(), cancelled.body());
    assertEquals("CANCELLED", JSON.readTree(cancelled.body()).get("status").asText());
    LocalCluster.await("the running step's task cancelled", Duration.ofSeconds(30),
        () -> "CANCELLED".equals(stateOf(workflow(id), "wait")));
    JsonNode view = workflow(id);
    assertEquals("CANCELLED", step(view, "after").get("state").asText());
    assertNull(cluster.task(cluster.node(2), taskIdFor(id, "after")), "a step started after the cancel");
    assertEquals(409, cluster.post(cluster.node(2), "/api/v1/workflows/" + id + "/cancel", "").statusCode());
  }

  @Test
  @Order(5)
  void fiftyWorkflowsInFlightWhileANodeIsKilledAllFinishInOrderWithEveryStepOneTask() throws Exception {
    int tasksBefore = cluster.tasksInJournal();
    List<String> ids = new ArrayList<>();
    for (int n = 0; n < 50; n++) {
      ids.add(submit(n, """
          {"name": "fan", "steps": [
            {"name": "a", "type": "sleep", "payload": {"durationMs": 300}},
            {"name": "b", "type": "sleep", "payload": {"durationMs": 1500}, "dependsOn": ["a"]},
            {"name": "c", "type": "sleep", "payload": {"durationMs": 1000}, "dependsOn": ["a"]},
            {"name": "d", "type": "echo", "dependsOn": ["b", "c"]}
          ]}"""));
    }
    // Steps of many workflows are running when the node dies; a third of the workflows live there.
    LocalCluster.await("steps of at least 20 workflows running", Duration.ofSeconds(60),
        () -> tasksInJournal() - tasksBefore >= 70);
    LocalCluster.Node victim = cluster.node(2);
    int hosted = workflowsHostedBy(victim);
    assertTrue(hosted >= 3, "the node to be killed hosts " + hosted + " workflows, not several");
    cluster.kill(victim);

    Map<String, JsonNode> finished = new ConcurrentHashMap<>();
    LocalCluster.await("50 workflows SUCCEEDED after the kill", FINISH_BOUND, Duration.ofSeconds(1), () -> {
      for (String id : ids) {
        if (finished.containsKey(id)) continue;
        JsonNode view = json(getQuietly("/api/v1/workflows/" + id));
        if (view == null) continue;
        assertFalse(view.get("status").asText().equals("FAILED"), view.toString());
        if (view.get("status").asText().equals("SUCCEEDED")) finished.put(id, view);
      }
      return finished.size() == ids.size();
    });
    int lost = 0;
    for (JsonNode view : finished.values()) lost += assertStepsStartedAfterTheirDependencies(view);
    assertEquals(tasksBefore + 50 * 4, cluster.tasksInJournal(), "tasks created for 50 workflows of 4 steps");
    assertTrue(lost > 0, "no step attempt was lost with the killed node: the kill hit nothing in flight");
    System.out.printf("WORKFLOWS: 50 of 50 SUCCEEDED after node %s, hosting %d workflows, was killed; %d step"
        + " attempts lost with it%n", victim.name(), hosted, lost);
    cluster.launch(victim);
    cluster.awaitReady(victim);
  }

  // ---------------------------------------------------------------- checks

  /**
   * Every step's first attempt started after each of its dependencies' last attempt ended, its
   * task is the one derived from the workflow and step, and it succeeded. Returns how many
   * attempts were lost with a node.
   */
  private int assertStepsStartedAfterTheirDependencies(JsonNode workflow) throws Exception {
    String id = workflow.get("id").asText();
    Map<String, JsonNode> tasks = new HashMap<>();
    for (JsonNode step : workflow.get("steps")) {
      String name = step.get("name").asText();
      assertEquals(taskIdFor(id, name), step.get("taskId").asText(), "the task of step " + name);
      JsonNode task = null;
      for (int salt = 0; task == null && salt < 10; salt++) task = cluster.task(cluster.anyUp(salt), step.get("taskId").asText());
      assertNotNull(task, "task of step " + name + " of " + id);
      tasks.put(name, task);
    }
    int lost = 0;
    for (JsonNode step : workflow.get("steps")) {
      JsonNode task = tasks.get(step.get("name").asText());
      JsonNode history = task.get("history");
      Instant firstStart = Instant.parse(history.get(0).get("startedAt").asText());
      for (JsonNode dependency : step.get("dependsOn")) {
        JsonNode dependencyHistory = tasks.get(dependency.asText()).get("history");
        Instant dependencyEnd = Instant.parse(dependencyHistory.get(dependencyHistory.size() - 1).get("endedAt").asText());
        assertFalse(firstStart.isBefore(dependencyEnd), "step " + step.get("name") + " of " + id + " started at "
            + firstStart + ", before its dependency " + dependency + " ended at " + dependencyEnd);
      }
      for (JsonNode attempt : history) if ("NODE_LOST".equals(attempt.get("outcome").asText())) lost++;
    }
    return lost;
  }

  // ---------------------------------------------------------------- helpers

  /** Workflow entities running on {@code node}, as its shard region reports them (pekko-management). */
  private int workflowsHostedBy(LocalCluster.Node node) throws Exception {
    HttpResponse<String> shards = cluster.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + node.managementPort + "/cluster/shards/Workflow"))
        .timeout(Duration.ofSeconds(10)).build());
    assertEquals(200, shards.statusCode(), shards.body());
    int entities = 0;
    for (JsonNode region : JSON.readTree(shards.body()).get("regions")) entities += region.get("numEntities").asInt();
    return entities;
  }

  private String submit(int salt, String body) throws Exception {
    HttpResponse<String> response = cluster.post(cluster.anyUp(salt), "/api/v1/workflows", body);
    assertEquals(202, response.statusCode(), response.body());
    return JSON.readTree(response.body()).get("id").asText();
  }

  private JsonNode awaitStatus(String id, String status) {
    LocalCluster.await("workflow " + id + " " + status, Duration.ofSeconds(60), () -> {
      JsonNode view = workflow(id);
      return view != null && status.equals(view.get("status").asText());
    });
    return workflow(id);
  }

  private JsonNode workflow(String id) {
    return json(getQuietly("/api/v1/workflows/" + id));
  }

  private HttpResponse<String> getQuietly(String path) {
    try {
      return cluster.get(cluster.anyUp((int) (System.nanoTime() % 3)), path);
    } catch (Exception e) {
      return null;
    }
  }

  private static JsonNode step(JsonNode workflow, String name) {
    for (JsonNode step : workflow.get("steps")) if (step.get("name").asText().equals(name)) return step;
    throw new AssertionError("no step " + name + " in " + workflow);
  }

  /** The step's state, or null when the workflow did not answer. */
  private static String stateOf(JsonNode workflow, String step) {
    return workflow == null ? null : step(workflow, step).get("state").asText();
  }

  private static JsonNode json(HttpResponse<String> response) {
    try {
      return response != null && response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private int tasksInJournal() {
    try {
      return cluster.tasksInJournal();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** As the cluster derives it: the same step of the same workflow is always the same task. */
  private static String taskIdFor(String workflowId, String step) {
    return UUID.nameUUIDFromBytes(("workflow-step:" + workflowId + "/" + step).getBytes(StandardCharsets.UTF_8)).toString();
  }
}
