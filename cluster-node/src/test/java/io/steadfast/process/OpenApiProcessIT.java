package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.http.OpenApiContract;
import io.steadfast.http.OpenApiDocument;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Holds the API's OpenAPI document to what two real nodes answer: every documented operation is
 * called and must answer one of its documented statuses with a body that validates against that
 * status's schema ({@link OpenApiContract}), and every route the nodes serve must be documented.
 * {@code OpenApiDocumentTest} checks the document itself as OpenAPI 3.0.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  /** The task type whose breaker the breaker routes are called on; no other call here uses it. */
  private static final String BREAKER_TYPE = "sleep";
  private static final String SUBMISSION =
      "{\"type\":\"noop\",\"payload\":{\"to\":\"a@example.com\"},\"idempotencyKey\":\"openapi-contract\","
          + "\"priority\":7,\"delayMs\":600000,\"attemptTimeoutMs\":30000,"
          + "\"retryPolicy\":{\"strategy\":\"exponential\",\"initialBackoffMs\":500,\"maxRetries\":5,\"jitter\":\"full\"}}";
  /** A workflow whose first step sleeps long enough to be cancelled while it runs. */
  private static final String WORKFLOW =
      "{\"name\":\"openapi\",\"idempotencyKey\":\"openapi-workflow\",\"steps\":["
          + "{\"name\":\"wait\",\"type\":\"sleep\",\"payload\":{\"durationMs\":600000}},"
          + "{\"name\":\"after\",\"type\":\"noop\",\"dependsOn\":[\"wait\"],\"retryPolicy\":{\"maxAttempts\":2}}]}";
  private static final String SCHEDULE =
      "{\"id\":\"openapi-contract\",\"cron\":\"0 3 * * *\",\"timeZone\":\"Europe/Berlin\","
          + "\"task\":{\"type\":\"noop\",\"payload\":{\"report\":\"daily\"},\"priority\":3},"
          + "\"overlap\":\"SKIP\",\"catchUp\":\"RUN_ONCE\"}";
  /** The rate-limited type of the rate-limit routes. */
  private static final String LIMITED_TYPE = "limited";
  /** Past the API's 1 MiB body limit (steadfast.http.max-request-bytes). */
  private static final String TOO_LARGE =
      "{\"type\":\"noop\",\"payload\":{\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}}";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private LocalCluster cluster;
  /** As node 1 serves it; everyNodeServesTheDocumentAsAssembled holds every node to the same. */
  private JsonNode document;
  private OpenApiContract contract;
  private String taskId;
  private String deadLetterId;
  private int sent;

  /** One request, and the status it is meant to get. */
  record Call(String method, String template, String path, String body, int expected) {
    String operation() {
      return method + " " + template;
    }
  }

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.start("openapi", 2, List.of(
        "-Dsteadfast.task-types." + LIMITED_TYPE + ".handler=noop",
        "-Dsteadfast.task-types." + LIMITED_TYPE + ".rate-limit.permits=5",
        "-Dsteadfast.task-types." + LIMITED_TYPE + ".rate-limit.per=1s"));
    document = JSON.readTree(cluster.get(cluster.node(1), "/api/v1/openapi.json").body());
    contract = new OpenApiContract(document);

    HttpResponse<String> waiting =
        cluster.post(cluster.node(1), "/api/v1/tasks", "{\"type\":\"noop\",\"delayMs\":600000}");
    assertEquals(202, waiting.statusCode(), waiting.body());
    taskId = JSON.readTree(waiting.body()).get("id").asText();

    deadLetterId = cluster.submit(cluster.node(2), "flaky", "{\"failTimes\":1,\"error\":\"permanent\"}");
    LocalCluster.await("task " + deadLetterId + " in the dead-letter queue", Duration.ofSeconds(60),
        () -> status("GET", "/api/v1/dead-letters/" + deadLetterId) == 200);
  }

  @AfterAll
  void stop() {
    if (cluster != null) cluster.close();
  }

  /**
   * The routes the nodes serve, as TaskRoutes, WorkflowRoutes, CircuitBreakerRoutes, DeadLetterRoutes,
   * ScheduleRoutes, RateLimitRoutes and OpenApiRoutes declare them, each with the requests that exercise it, in an order that leaves
   * each call what it needs (the dead letter is redriven last).
   */
  private List<Call> routeTable() {
    String task = "/api/v1/tasks/" + taskId;
    String unknownTask = "/api/v1/tasks/" + UUID.randomUUID();
    String breaker = "/api/v1/circuit-breakers/" + BREAKER_TYPE;
    String deadLetter = "/api/v1/dead-letters/" + deadLetterId;
    String unknownDeadLetter = "/api/v1/dead-letters/" + UUID.randomUUID();
    String otherSubmission = SUBMISSION.replace("a@example.com", "b@example.com");
    String workflow = "/api/v1/workflows/" + io.steadfast.workflow.WorkflowGraph.workflowIdFor("openapi-workflow");
    String cyclic = "{\"name\":\"cyclic\",\"steps\":[{\"name\":\"a\",\"type\":\"noop\",\"dependsOn\":[\"b\"]},"
        + "{\"name\":\"b\",\"type\":\"noop\",\"dependsOn\":[\"a\"]}]}";
    String schedule = "/api/v1/schedules/openapi-contract";
    String unknownSchedule = "/api/v1/schedules/nope";
    return List.of(
        new Call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", null, 200),

        new Call("POST", "/api/v1/tasks", "/api/v1/tasks", SUBMISSION, 202),
        new Call("POST", "/api/v1/tasks", "/api/v1/tasks", SUBMISSION, 200),
        new Call("POST", "/api/v1/tasks", "/api/v1/tasks", otherSubmission, 409),
        new Call("POST", "/api/v1/tasks", "/api/v1/tasks", "{\"type\":\"nope\"}", 400),
        new Call("POST", "/api/v1/tasks", "/api/v1/tasks", TOO_LARGE, 413),
        new Call("POST", "/api/v1/tasks/batch", "/api/v1/tasks/batch",
            "{\"tasks\":[{\"type\":\"noop\"}," + SUBMISSION + "," + otherSubmission + "]}", 200),
        new Call("POST", "/api/v1/tasks/batch", "/api/v1/tasks/batch", "{\"tasks\":[{\"type\":\"nope\"}]}", 400),
        new Call("POST", "/api/v1/tasks/batch", "/api/v1/tasks/batch", TOO_LARGE, 413),
        new Call("GET", "/api/v1/tasks", "/api/v1/tasks?limit=5", null, 200),
        new Call("GET", "/api/v1/tasks", "/api/v1/tasks?status=LOST", null, 400),
        new Call("GET", "/api/v1/stats", "/api/v1/stats", null, 200),
        new Call("GET", "/api/v1/tasks", "/api/v1/tasks?idempotencyKey=openapi-contract&createdFrom=2020-01-01T00:00:00Z"
            + "&createdBefore=2100-01-01T00:00:00Z", null, 200),
        new Call("GET", "/api/v1/tasks", "/api/v1/tasks?createdFrom=yesterday", null, 400),
        new Call("GET", "/api/v1/stats/throughput", "/api/v1/stats/throughput?minutes=5&bucketSeconds=30", null, 200),
        new Call("GET", "/api/v1/stats/throughput", "/api/v1/stats/throughput?minutes=1440&bucketSeconds=1", null, 400),
        new Call("GET", "/api/v1/cluster", "/api/v1/cluster", null, 200),
        new Call("GET", "/api/v1/events", "/api/v1/events?maxEvents=3", null, 200),
        new Call("GET", "/api/v1/events", "/api/v1/events?maxEvents=0", null, 400),
        new Call("GET", "/api/v1/tasks/{id}", task, null, 200),
        new Call("GET", "/api/v1/tasks/{id}", unknownTask, null, 404),
        new Call("POST", "/api/v1/tasks/{id}/cancel", task + "/cancel", null, 200),
        new Call("POST", "/api/v1/tasks/{id}/cancel", task + "/cancel", null, 409),
        new Call("POST", "/api/v1/tasks/{id}/cancel", "/api/v1/tasks/not-a-task/cancel", null, 404),

        new Call("POST", "/api/v1/workflows", "/api/v1/workflows", WORKFLOW, 202),
        new Call("POST", "/api/v1/workflows", "/api/v1/workflows", WORKFLOW, 200),
        new Call("POST", "/api/v1/workflows", "/api/v1/workflows", WORKFLOW.replace("600000", "600001"), 409),
        new Call("POST", "/api/v1/workflows", "/api/v1/workflows", cyclic, 400),
        new Call("POST", "/api/v1/workflows", "/api/v1/workflows", TOO_LARGE, 413),
        new Call("GET", "/api/v1/workflows", "/api/v1/workflows?limit=5", null, 200),
        new Call("GET", "/api/v1/workflows", "/api/v1/workflows?status=LOST", null, 400),
        new Call("GET", "/api/v1/workflows/{id}", workflow, null, 200),
        new Call("GET", "/api/v1/workflows/{id}", "/api/v1/workflows/" + UUID.randomUUID(), null, 404),
        new Call("POST", "/api/v1/workflows/{id}/cancel", workflow + "/cancel", null, 200),
        new Call("POST", "/api/v1/workflows/{id}/cancel", workflow + "/cancel", null, 409),
        new Call("POST", "/api/v1/workflows/{id}/cancel", "/api/v1/workflows/not-a-workflow/cancel", null, 404),

        new Call("GET", "/api/v1/circuit-breakers", "/api/v1/circuit-breakers", null, 200),
        new Call("GET", "/api/v1/circuit-breakers/{type}", breaker, null, 200),
        new Call("GET", "/api/v1/circuit-breakers/{type}", "/api/v1/circuit-breakers/nope", null, 404),
        new Call("POST", "/api/v1/circuit-breakers/{type}/open", breaker + "/open", null, 200),
        new Call("POST", "/api/v1/circuit-breakers/{type}/reset", breaker + "/reset", null, 200),
        new Call("POST", "/api/v1/circuit-breakers/{type}/reset", "/api/v1/circuit-breakers/nope/reset", null, 404),
        // The drill is off unless configured.
        new Call("POST", "/api/v1/circuit-breakers/{type}/simulate-failure", breaker + "/simulate-failure?count=3", null, 403),

        new Call("POST", "/api/v1/schedules", "/api/v1/schedules", SCHEDULE, 201),
        new Call("POST", "/api/v1/schedules", "/api/v1/schedules", SCHEDULE, 200),
        new Call("POST", "/api/v1/schedules", "/api/v1/schedules", SCHEDULE.replace("0 3 * * *", "0 4 * * *"), 409),
        new Call("POST", "/api/v1/schedules", "/api/v1/schedules", "{\"id\":\"x\",\"cron\":\"every day\"}", 400),
        new Call("POST", "/api/v1/schedules", "/api/v1/schedules", TOO_LARGE, 413),
        new Call("GET", "/api/v1/schedules", "/api/v1/schedules", null, 200),
        new Call("GET", "/api/v1/schedules/{id}", schedule, null, 200),
        new Call("GET", "/api/v1/schedules/{id}", unknownSchedule, null, 404),
        new Call("POST", "/api/v1/schedules/{id}/pause", schedule + "/pause", null, 200),
        new Call("POST", "/api/v1/schedules/{id}/pause", unknownSchedule + "/pause", null, 404),
        new Call("POST", "/api/v1/schedules/{id}/resume", schedule + "/resume", null, 200),
        new Call("POST", "/api/v1/schedules/{id}/resume", unknownSchedule + "/resume", null, 404),
        new Call("POST", "/api/v1/schedules/{id}/trigger", schedule + "/trigger", null, 202),
        new Call("POST", "/api/v1/schedules/{id}/trigger", unknownSchedule + "/trigger", null, 404),
        new Call("DELETE", "/api/v1/schedules/{id}", schedule, null, 200),
        new Call("DELETE", "/api/v1/schedules/{id}", schedule, null, 404),

        new Call("GET", "/api/v1/rate-limits", "/api/v1/rate-limits", null, 200),
        new Call("GET", "/api/v1/rate-limits/{type}", "/api/v1/rate-limits/" + LIMITED_TYPE, null, 200),
        new Call("GET", "/api/v1/rate-limits/{type}", "/api/v1/rate-limits/noop", null, 404),

        new Call("GET", "/api/v1/dead-letters", "/api/v1/dead-letters?type=flaky&errorType=FLAKY&limit=10", null, 200),
        new Call("GET", "/api/v1/dead-letters", "/api/v1/dead-letters?limit=0", null, 400),
        new Call("GET", "/api/v1/dead-letters/stats", "/api/v1/dead-letters/stats", null, 200),
        new Call("GET", "/api/v1/dead-letters/{taskId}", deadLetter, null, 200),
        new Call("GET", "/api/v1/dead-letters/{taskId}", unknownDeadLetter, null, 404),
        new Call("POST", "/api/v1/dead-letters/retry", "/api/v1/dead-letters/retry?type=flaky&errorType=NONE", null, 200),
        new Call("DELETE", "/api/v1/dead-letters", "/api/v1/dead-letters?olderThanHours=1000&type=flaky", null, 200),
        new Call("DELETE", "/api/v1/dead-letters", "/api/v1/dead-letters", null, 400),
        new Call("POST", "/api/v1/dead-letters/{taskId}/retry", deadLetter + "/retry", "{\"colour\":1}", 400),
        new Call("POST", "/api/v1/dead-letters/{taskId}/retry", deadLetter + "/retry", TOO_LARGE, 413),
        new Call("POST", "/api/v1/dead-letters/{taskId}/retry", deadLetter + "/retry", "{\"retryPolicy\":{\"maxRetries\":2}}", 200),
        new Call("POST", "/api/v1/dead-letters/{taskId}/retry", deadLetter + "/retry", "", 404));
  }

  @Test
  void everyDocumentedOperationIsServedAndAnswersAsDocumented() throws Exception {
    List<String> failures = new ArrayList<>();
    Set<String> documented = documentedOperations();
    Set<String> called = new LinkedHashSet<>();
    for (Call call : routeTable()) {
      if (!documented.contains(call.operation())) continue; // everyServedRouteIsDocumented says so
      called.add(call.operation());
      HttpResponse<String> answer = send(call.method(), call.path(), call.body());
      int status = answer.statusCode();
      String seen = call.method() + " " + call.path() + " answered " + status + " " + brief(answer.body());
      if (isRoutingRejection(answer)) {
        failures.add(call.operation() + ": documented, but not served: " + seen);
        continue;
      }
      JsonNode response = contract.response(call.method(), call.template(), status);
      if (response.isMissingNode()) {
        failures.add(call.operation() + ": status " + status + " is not documented: " + seen);
        continue;
      }
      if (status != call.expected()) failures.add(call.operation() + ": expected " + call.expected() + ": " + seen);
      response.path("headers").fieldNames().forEachRemaining(header -> {
        if (answer.headers().firstValue(header).isEmpty()) failures.add(call.operation() + ": no " + header + " header: " + seen);
      });
      if (response.path("content").has("application/json")) {
        String contentType = answer.headers().firstValue("Content-Type").orElse("");
        if (!contentType.startsWith("application/json")) {
          failures.add(call.operation() + ": Content-Type is '" + contentType + "': " + seen);
        }
      }
      contract.bodyProblems(call.method(), call.template(), status, answer.body())
          .forEach(problem -> failures.add(call.operation() + " " + status + ": " + problem + ": " + seen));
    }
    for (String operation : documented) {
      if (called.contains(operation)) continue;
      String[] parts = operation.split(" ", 2);
      HttpResponse<String> answer = send(parts[0], filled(parts[1]), null);
      failures.add(operation + (isRoutingRejection(answer)
          ? ": documented, but not served (" + answer.statusCode() + " " + brief(answer.body()) + ")"
          : ": served and documented, but missing from this test's routeTable()"));
    }
    assertTrue(failures.isEmpty(), "the API differs from openapi.json:\n" + String.join("\n", failures));
  }

  @Test
  void everyServedRouteIsDocumented() throws Exception {
    List<String> failures = new ArrayList<>();
    Set<String> documented = documentedOperations();
    routeTable().stream().map(Call::operation).distinct()
        .filter(operation -> !documented.contains(operation))
        .forEach(operation -> failures.add(operation + ": served, but not in openapi.json"));
    // A method the document does not give for a path must meet pekko-http's rejection.
    for (Map.Entry<String, JsonNode> documentedPath : document.get("paths").properties()) {
      String template = documentedPath.getKey();
      String path = filled(template);
      for (String method : METHODS) {
        boolean expected = documented.stream()
            .anyMatch(op -> op.startsWith(method + " ") && matches(op.substring(method.length() + 1), path));
        if (expected) continue;
        HttpResponse<String> answer = send(method, path, null);
        if (!isRoutingRejection(answer)) {
          failures.add(method + " " + template + ": served (" + method + " " + path + " answered " + answer.statusCode()
              + " " + brief(answer.body()) + "), but not in openapi.json");
        }
      }
    }
    assertTrue(failures.isEmpty(), "routes missing from openapi.json:\n" + String.join("\n", failures));
  }

  @Test
  void everyNodeServesTheDocumentAsAssembled() throws Exception {
    for (LocalCluster.Node node : cluster.nodes()) {
      HttpResponse<String> served = cluster.get(node, "/api/v1/openapi.json");
      assertEquals(200, served.statusCode(), node.name());
      assertEquals("application/json", served.headers().firstValue("Content-Type").orElse(""), node.name());
      assertEquals(OpenApiDocument.assemble(), JSON.readTree(served.body()), node.name());
    }
  }

  // ---------------------------------------------------------------- the document

  /** "METHOD /path/{template}" of every operation in the document. */
  private Set<String> documentedOperations() {
    Set<String> operations = new LinkedHashSet<>();
    document.get("paths").properties().forEach(path -> {
      for (String method : METHODS) {
        if (path.getValue().has(method.toLowerCase())) operations.add(method + " " + path.getKey());
      }
    });
    return operations;
  }

  /** The template with real ids in it, for calls the route table does not spell out. */
  private String filled(String template) {
    Map<String, String> values = Map.of("id", taskId, "taskId", deadLetterId, "type", BREAKER_TYPE);
    return Pattern.compile("\\{([^}]+)}").matcher(template)
        .replaceAll(name -> Matcher.quoteReplacement(values.getOrDefault(name.group(1), "x")));
  }

  private static boolean matches(String template, String path) {
    return path.matches(Pattern.quote(template).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q"));
  }

  // ---------------------------------------------------------------- HTTP

  /**
   * pekko-http's own answer to a request no route takes (unknown path, or a method the path does
   * not have), told from a route's 404 such as task_not_found by its error code.
   */
  private static boolean isRoutingRejection(HttpResponse<String> answer) {
    if (answer.statusCode() != 404 && answer.statusCode() != 405) return false;
    try {
      String error = JSON.readTree(answer.body()).path("error").asText();
      return error.equals("not_found") || error.equals("method_not_allowed");
    } catch (Exception notJson) {
      return false;
    }
  }

  /** Sends to the nodes in turn: any node answers for everything. */
  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(cluster.node(1 + sent++ % 2).api(path)).timeout(Duration.ofSeconds(20));
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private int status(String method, String path) {
    try {
      return send(method, path, null).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static String brief(String text) {
    return text.length() <= 300 ? text : text.substring(0, 300) + "…";
  }
}
