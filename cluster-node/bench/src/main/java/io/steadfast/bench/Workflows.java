package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scenario {@code workflow}: diamonds of echo steps (a, then b and c, then d), submitted at a
 * steady rate below what the cluster takes, so that the figures are the hand-over's own and not a
 * backlog's; the first fifth warm the nodes' JIT and are left out of the latencies. Measures what a step costs beyond its task, from the journal (events per
 * step, the workflow's own and its tasks'), and how long a dependent waits after its dependency
 * ended: the time from a step's end to its dependent's first start, from the tasks' attempt
 * histories (the hand-over through the workflow entity, no handler time in it).
 */
final class Workflows {
  private static final List<List<String>> DIAMOND =
      List.of(List.of("a"), List.of("b", "a"), List.of("c", "a"), List.of("d", "b", "c"));

  private Workflows() {}

  static void run(Api api, int portOffset, String store, int count, double perSecond, Duration bound, String runId)
      throws Exception {
    String name = "workflow";
    long started = System.nanoTime();
    String workflowName = "bench-diamond-" + runId;
    List<String> ids = submit(api, workflowName, count, perSecond, runId);
    awaitListedEnded(api, workflowName, count, bound);
    Map<String, JsonNode> done = views(api, ids);
    double seconds = (System.nanoTime() - started) / 1e9;
    long succeeded = done.values().stream().filter(v -> v.get("status").asText().equals("SUCCEEDED")).count();
    Figures.figure(name + "_workflows_succeeded", succeeded, "workflows");
    Figures.figure(name + "_steps_per_s", count * DIAMOND.size() / seconds, "steps/s");

    List<Long> handOffs = new ArrayList<>();
    List<Long> durations = new ArrayList<>();
    List<String> stepTasks = new ArrayList<>();
    for (JsonNode workflow : done.values()) workflow.get("steps").forEach(step -> stepTasks.add(step.get("taskId").asText()));
    int salt = 0;
    List<String> measured = ids.subList(count / 5, ids.size());
    for (String id : measured) {
      JsonNode workflow = done.get(id);
      if (workflow == null) continue;
      Map<String, JsonNode> tasks = new ConcurrentHashMap<>();
      for (JsonNode step : workflow.get("steps")) {
        JsonNode task = api.task(step.get("taskId").asText(), salt++).join();
        if (task != null) tasks.put(step.get("name").asText(), task);
      }
      for (JsonNode step : workflow.get("steps")) {
        Instant start = firstStart(tasks.get(step.get("name").asText()));
        Instant lastDependencyEnd = null;
        for (JsonNode dependency : step.get("dependsOn")) {
          Instant end = lastEnd(tasks.get(dependency.asText()));
          if (lastDependencyEnd == null || end.isAfter(lastDependencyEnd)) lastDependencyEnd = end;
        }
        if (lastDependencyEnd != null) handOffs.add(Duration.between(lastDependencyEnd, start).toMillis());
      }
      durations.add(Duration.between(Instant.parse(workflow.get("createdAt").asText()),
          Instant.parse(workflow.get("endedAt").asText())).toMillis());
    }
    Figures.distribution(name + "_step_end_to_dependent_start_ms",
        handOffs.stream().mapToLong(Long::longValue).toArray(), "ms");
    Figures.distribution(name + "_submit_to_succeeded_ms", durations.stream().mapToLong(Long::longValue).toArray(), "ms");

    try (Connection db = Journal.connect(portOffset, store)) {
      double steps = stepTasks.size();
      long workflowRows = sum(Journal.rowsByEvent(db, ids.stream().map(id -> "Workflow|" + id).toList()));
      long taskRows = sum(Journal.rowsByEvent(db, stepTasks.stream().map(id -> "Task|" + id).toList()));
      Figures.figure(name + "_events_per_step", (workflowRows + taskRows) / steps, "events");
      Figures.figure(name + "_events_per_step_task", taskRows / steps, "events");
      Figures.figure(name + "_events_per_step_workflow", workflowRows / steps, "events");
    }
  }

  /** Submits {@code count} diamonds, {@code perSecond} a second; their ids in order. */
  private static List<String> submit(Api api, String workflowName, int count, double perSecond, String runId)
      throws InterruptedException {
    List<CompletableFuture<String>> submitted = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      long due = start + (long) (i * 1e9 / perSecond);
      long wait = due - System.nanoTime();
      if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      submitted.add(api.submitWorkflow(diamond(workflowName, runId, i), i));
    }
    List<String> ids = submitted.stream().map(CompletableFuture::join).toList();
    Figures.progress("workflow: %d workflows submitted at %.1f/s", ids.size(), perSecond);
    return ids;
  }

  private static ObjectNode diamond(String workflowName, String runId, int n) {
    ObjectNode body = Api.JSON.createObjectNode().put("name", workflowName).put("idempotencyKey", runId + "-" + n);
    ArrayNode steps = body.putArray("steps");
    for (List<String> step : DIAMOND) {
      ObjectNode node = steps.addObject().put("name", step.get(0)).put("type", "echo");
      ArrayNode dependsOn = node.putArray("dependsOn");
      step.subList(1, step.size()).forEach(dependsOn::add);
    }
    return body;
  }

  /**
   * Waits until the read side lists all of this run's workflows as ended: one query a poll,
   * where reading every workflow's view would ask each of its running steps' tasks too, and
   * load the cluster it measures.
   */
  private static void awaitListedEnded(Api api, String workflowName, int count, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    int ended = 0;
    while (System.nanoTime() < deadline) {
      JsonNode page = api.get("/api/v1/workflows?name=" + workflowName + "&limit=1000");
      ended = 0;
      if (page != null) {
        for (JsonNode workflow : page.get("workflows")) if (!workflow.get("status").asText().equals("RUNNING")) ended++;
      }
      if (ended >= count) break;
      Thread.sleep(500);
    }
    Figures.progress("workflow: %d of %d workflows listed as ended", ended, count);
  }

  /** Each workflow's view, read once, a few at a time. */
  private static Map<String, JsonNode> views(Api api, List<String> ids) {
    Map<String, JsonNode> views = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> reads = new ArrayList<>();
    int salt = 0;
    for (String id : ids) {
      reads.add(api.workflow(id, salt++).thenAccept(view -> {
        if (view != null && !view.get("status").asText().equals("RUNNING")) views.put(id, view);
      }));
      if (reads.size() == Completion.READS_IN_FLIGHT) {
        CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
        reads.clear();
      }
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
    return views;
  }

  private static Instant firstStart(JsonNode task) {
    return Instant.parse(task.get("history").get(0).get("startedAt").asText());
  }

  private static Instant lastEnd(JsonNode task) {
    JsonNode history = task.get("history");
    return Instant.parse(history.get(history.size() - 1).get("endedAt").asText());
  }

  private static long sum(Map<String, Long> rows) {
    return rows.values().stream().mapToLong(Long::longValue).sum();
  }
}
