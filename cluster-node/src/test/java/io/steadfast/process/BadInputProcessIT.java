package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A corpus of bad requests across every endpoint of a token-protected node: each gets its exact
 * 4xx with a JSON error body, none a 5xx, nothing is persisted, and the node stays ready. That
 * holds for requests pekko-http refuses while parsing them, before any route runs, too.
 */
class BadInputProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret-" + UUID.randomUUID();
  private static final String JSON_TYPE = "application/json";

  /** One bad request: method, path, content type (null: none), body (null: none), expected status. */
  private record Bad(String method, String path, String contentType, String body, int status, String error, boolean withToken) {
    static Bad json(String method, String path, String body, int status, String error) {
      return new Bad(method, path, JSON_TYPE, body, status, error, true);
    }

    static Bad plain(String method, String path, int status, String error) {
      return new Bad(method, path, null, null, status, error, true);
    }
  }

  /**
   * A request that pekko-http refuses while parsing it, written out byte for byte (HttpClient
   * would not send most of these). Each is a valid submission but for its one flaw, so that a
   * parser that let it through would persist a task.
   */
  private record Unparsable(String what, String requestHead, int status, String error) {
    static Unparsable submission(String what, String target, String extraHeaders, int status, String error) {
      return new Unparsable(what, "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: application/json\r\nContent-Length: " + SUBMISSION.length() + "\r\nConnection: close\r\n"
          + extraHeaders, status, error);
    }
  }

  private static final String SUBMISSION = "{\"type\":\"noop\"}";

  /** The node's limits (config/cluster.conf): max-uri-length 4k, max-header-count 64, max-header-value-length 8k. */
  private static final List<Unparsable> UNPARSABLE = List.of(
      Unparsable.submission("a 5,000-character URI", "/api/v1/tasks?pad=" + "x".repeat(5_000), "", 414, "uri_too_long"),
      Unparsable.submission("a 9,000-character header value", "/api/v1/tasks", "X-Pad: " + "x".repeat(9_000) + "\r\n",
          431, "request_header_fields_too_large"),
      // pekko-http answers too many headers with 400, not 431.
      Unparsable.submission("70 headers", "/api/v1/tasks", "X-Pad: x\r\n".repeat(70), 400, "bad_request"),
      Unparsable.submission("a header line without a colon", "/api/v1/tasks", "X-No-Colon\r\n", 400, "bad_request"),
      Unparsable.submission("a header name with a space", "/api/v1/tasks", "X Pad: x\r\n", 400, "bad_request"),
      // A malformed request line: its target is no URI.
      Unparsable.submission("a request target with a broken %-escape", "/api/v1/tasks%zz", "", 400, "bad_request"));

  @Test
  void everyBadRequestGetsItsExactStatusAndChangesNothing() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("bad-input", 1, List.of(
        "-Dsteadfast.http.auth-token=" + TOKEN, "-Dsteadfast.http.max-request-bytes=64k"))) {
      LocalCluster.Node node = cluster.node(1);
      String ended = submitAndFinish(cluster, node);
      String oversized = "{\"type\":\"noop\",\"payload\":{\"blob\":\"" + "x".repeat(70_000) + "\"}}";
      String unknownId = UUID.randomUUID().toString();

      List<Bad> corpus = new ArrayList<>(List.of(
          Bad.json("POST", "/api/v1/tasks", "{\"type\":", 400, "malformed_json"),
          Bad.json("POST", "/api/v1/tasks", "", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "[1,2]", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "\"noop\"", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":7}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"  \"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"nope\"}", 400, "unknown_task_type"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"payload\":[1]}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"payload\":\"x\"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"idempotencyKey\":5}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"idempotencyKey\":\"" + "k".repeat(201) + "\"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"priority\":-1}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"priority\":10}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"priority\":1.5}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"delayMs\":-5}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"delayMs\":99999999999999}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"delayMs\":5,\"runAt\":\"2030-01-01T00:00:00Z\"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"runAt\":\"next tuesday\"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"attemptTimeoutMs\":0}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"attemptTimeoutMs\":\"1s\"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"colour\":\"red\"}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"retryPolicy\":{\"strategy\":\"random\"}}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"retryPolicy\":{\"maxAttempts\":0}}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"retryPolicy\":{\"multiplier\":120}}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"retryPolicy\":{\"initialDelayMs\":5000,\"maxDelayMs\":10}}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"retryPolicy\":{\"colour\":1}}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\",\"retryPolicy\":7}", 400, "invalid_request"),
          Bad.json("POST", "/api/v1/tasks", oversized, 413, "payload_too_large"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":", 400, "malformed_json"),
          Bad.json("POST", "/api/v1/tasks/batch", "[{\"type\":\"noop\"}]", 400, "invalid_batch"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":[]}", 400, "invalid_batch"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":{\"type\":\"noop\"}}", 400, "invalid_batch"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":[{\"type\":\"noop\"}],\"colour\":1}", 400, "invalid_batch"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":[{\"type\":\"noop\"},{\"type\":\"nope\"}]}", 400, "invalid_batch"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":[{\"type\":\"noop\"},{\"type\":\"noop\",\"priority\":10}]}", 400, "invalid_batch"),
          Bad.json("POST", "/api/v1/tasks/batch", "{\"tasks\":[" + "{\"type\":\"noop\"},".repeat(1000) + "{\"type\":\"noop\"}]}", 400, "invalid_batch"),
          new Bad("POST", "/api/v1/tasks/batch", "text/plain", "{\"tasks\":[{\"type\":\"noop\"}]}", 415, "unsupported_media_type", true),
          new Bad("POST", "/api/v1/tasks/batch", JSON_TYPE, "{\"tasks\":[{\"type\":\"noop\"}]}", 401, "unauthorized", false),
          new Bad("POST", "/api/v1/tasks", "text/plain", "{\"type\":\"noop\"}", 415, "unsupported_media_type", true),
          new Bad("POST", "/api/v1/tasks", "application/x-www-form-urlencoded", "type=noop", 415, "unsupported_media_type", true),
          Bad.plain("GET", "/api/v1/tasks/" + unknownId, 404, "task_not_found"),
          Bad.plain("GET", "/api/v1/tasks/not-a-task-id", 404, "task_not_found"),
          Bad.plain("GET", "/api/v1/tasks?status=LOST", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/tasks?limit=0", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/tasks?limit=lots", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/tasks?after=yesterday", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/tasks?type=nope", 400, "unknown_task_type"),
          Bad.plain("POST", "/api/v1/tasks/" + unknownId + "/cancel", 404, "task_not_found"),
          Bad.plain("POST", "/api/v1/tasks/" + ended + "/cancel", 409, "task_already_ended"),
          Bad.plain("GET", "/api/v1/circuit-breakers/nope", 404, "unknown_task_type"),
          Bad.plain("POST", "/api/v1/circuit-breakers/nope/reset", 404, "unknown_task_type"),
          Bad.plain("POST", "/api/v1/circuit-breakers/nope/open", 404, "unknown_task_type"),
          Bad.plain("GET", "/api/v1/dead-letters?limit=0", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/dead-letters?after=abc", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/dead-letters/" + unknownId, 404, "dead_letter_not_found"),
          Bad.plain("POST", "/api/v1/dead-letters/" + unknownId + "/retry", 404, "dead_letter_not_found"),
          Bad.json("POST", "/api/v1/dead-letters/" + unknownId + "/retry", "{\"retryPolicy\":", 400, "malformed_json"),
          Bad.json("POST", "/api/v1/dead-letters/" + unknownId + "/retry", "{\"colour\":1}", 400, "invalid_request"),
          Bad.plain("DELETE", "/api/v1/dead-letters", 400, "invalid_query"),
          Bad.plain("DELETE", "/api/v1/dead-letters?olderThanHours=-1", 400, "invalid_query"),
          Bad.plain("DELETE", "/api/v1/dead-letters?olderThanHours=soon", 400, "invalid_query"),
          Bad.plain("GET", "/api/v1/nothing-here", 404, "not_found"),
          Bad.plain("DELETE", "/api/v1/tasks", 405, "method_not_allowed"),
          Bad.plain("PUT", "/api/v1/circuit-breakers", 405, "method_not_allowed"),
          new Bad("GET", "/api/v1/stats", null, null, 401, "unauthorized", false),
          new Bad("POST", "/api/v1/tasks", JSON_TYPE, "{\"type\":\"noop\"}", 401, "unauthorized", false)));

      int tasksBefore = cluster.eventsInJournal("Task|");
      int breakerEventsBefore = cluster.eventsInJournal("CircuitBreaker|");
      int deadLetterEventsBefore = cluster.eventsInJournal("DeadLetterQueue|");
      List<String> wrong = new ArrayList<>();
      for (Bad bad : corpus) {
        HttpResponse<String> answer = cluster.send(request(node, bad));
        String error = errorCode(answer.headers().firstValue("Content-Type").orElse(""), answer.body());
        if (answer.statusCode() >= 500) wrong.add("5xx! " + bad + " -> " + answer.statusCode() + " " + answer.body());
        else if (answer.statusCode() != bad.status() || !bad.error().equals(error)) {
          wrong.add(bad.method() + " " + bad.path() + " -> " + answer.statusCode() + " " + answer.body());
        }
      }
      for (Unparsable bad : UNPARSABLE) {
        RawAnswer answer = sendRaw(node, bad.requestHead() + "\r\n" + SUBMISSION);
        String error = errorCode(answer.contentType(), answer.body());
        if (answer.status() != bad.status() || !bad.error().equals(error)) {
          wrong.add(bad.what() + " -> " + answer.status() + " " + answer.contentType() + " " + answer.body());
        }
      }
      int sentBad = corpus.size() + UNPARSABLE.size();
      assertTrue(wrong.isEmpty(), wrong.size() + " of " + sentBad + " answered wrongly:\n" + String.join("\n", wrong));
      assertTrue(corpus.size() >= 40);
      assertEquals(tasksBefore, cluster.eventsInJournal("Task|"), "a bad request persisted task events");
      assertEquals(breakerEventsBefore, cluster.eventsInJournal("CircuitBreaker|"));
      assertEquals(deadLetterEventsBefore, cluster.eventsInJournal("DeadLetterQueue|"));
      assertTrue(cluster.isReady(node), "the node stays ready");
      System.out.printf("BAD INPUT: %d bad requests, each answered as documented%n", sentBad);
    }
  }

  private static String submitAndFinish(LocalCluster cluster, LocalCluster.Node node) throws Exception {
    HttpResponse<String> answer = cluster.send(request(node, Bad.json("POST", "/api/v1/tasks", "{\"type\":\"noop\"}", 0, "")));
    assertEquals(202, answer.statusCode(), answer.body());
    String id = JSON.readTree(answer.body()).get("id").asText();
    LocalCluster.await("the setup task", Duration.ofSeconds(30), () -> {
      try {
        JsonNode view = JSON.readTree(cluster.send(request(node, Bad.plain("GET", "/api/v1/tasks/" + id, 0, ""))).body());
        return view.path("status").asText().equals("SUCCEEDED");
      } catch (Exception e) {
        return false;
      }
    });
    // The breaker hears of the success in its next batch (a journal write): let that land before
    // the baseline is taken, so that only the bad requests are measured.
    LocalCluster.await("the noop breaker to record the setup task", Duration.ofSeconds(30), () -> {
      try {
        JsonNode breaker = JSON.readTree(cluster.send(request(node, Bad.plain("GET", "/api/v1/circuit-breakers/noop", 0, ""))).body());
        return breaker.path("callsInWindow").asInt() >= 1;
      } catch (Exception e) {
        return false;
      }
    });
    return id;
  }

  private static HttpRequest request(LocalCluster.Node node, Bad bad) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + bad.path()))
        .timeout(Duration.ofSeconds(20))
        .method(bad.method(), bad.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(bad.body()));
    if (bad.contentType() != null) builder.header("Content-Type", bad.contentType());
    if (bad.withToken()) builder.header("Authorization", "Bearer " + TOKEN);
    return builder.build();
  }

  /** The body's error code, if the answer is an ApiError: JSON, with a code and a message. */
  private static String errorCode(String contentType, String body) {
    if (!contentType.startsWith("application/json")) return "not JSON (" + contentType + ")";
    try {
      JsonNode error = JSON.readTree(body);
      return error.path("message").isTextual() ? error.path("error").asText(null) : "no message";
    } catch (Exception e) {
      return "not JSON: " + body;
    }
  }

  private record RawAnswer(int status, String contentType, String body) {}

  /**
   * Sends {@code request} as it is and reads the answer up to the end of the connection (the
   * node closes it after a request it could not parse; the request asks for that anyway).
   */
  private static RawAnswer sendRaw(LocalCluster.Node node, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node.httpPort)) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int headEnd = answer.indexOf("\r\n\r\n");
      if (headEnd < 0) return new RawAnswer(-1, "", answer);
      List<String> head = answer.substring(0, headEnd).lines().toList();
      String contentType = head.stream().filter(line -> line.toLowerCase(Locale.ROOT).startsWith("content-type:"))
          .map(line -> line.substring("content-type:".length()).trim()).findFirst().orElse("");
      return new RawAnswer(Integer.parseInt(head.get(0).split(" ")[1]), contentType, answer.substring(headEnd + 4));
    }
  }
}
