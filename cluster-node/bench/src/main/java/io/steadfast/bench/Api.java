package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * The nodes' task API, and nothing else of theirs. Requests go round-robin over the nodes given;
 * a submission is sent again after a refusal (any non-2xx answer) or a connection error.
 */
final class Api {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** A refusal without Retry-After, or a connection error, is tried again after this. */
  private static final long DEFAULT_RETRY_AFTER_MS = 1000;
  /** A submission refused this often is given up (and counted as failed by the scenario). */
  private static final int MAX_TRIES = 30;
  /** The status counted for a request that got no answer at all (connection refused, reset, timeout). */
  static final int NO_ANSWER = 0;

  private final ExecutorService executor =
      Executors.newFixedThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "bench-http");
        thread.setDaemon(true);
        return thread;
      });
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .executor(executor)
          .build();
  private final List<URI> nodes;
  private final Map<Integer, LongAdder> refusals = new ConcurrentHashMap<>();

  /** @param nodes the node numbers (1-based) to talk to */
  Api(int portOffset, List<Integer> nodes) {
    this.nodes = nodes.stream().map(i -> URI.create("http://127.0.0.1:" + (8080 + i + portOffset))).toList();
  }

  /** Non-2xx answers to submissions so far, by status ({@link #NO_ANSWER} for connection errors). */
  Map<Integer, Long> refusals() {
    Map<Integer, Long> counts = new TreeMap<>();
    refusals.forEach((status, count) -> counts.put(status, count.sum()));
    return counts;
  }

  long refusalCount() {
    return refusals.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /**
   * Submits a task until a node accepts it; completes with its id. Give the body an
   * idempotencyKey: a request that timed out may have landed, and the key makes sending it again
   * harmless (the second answer is 200 with the same task).
   */
  CompletableFuture<String> submit(ObjectNode body, int salt) {
    return submit("/api/v1/tasks", body.toString(), salt, 1);
  }

  /** As {@link #submit}, for a workflow ({@code POST /api/v1/workflows}); completes with its id. */
  CompletableFuture<String> submitWorkflow(ObjectNode body, int salt) {
    return submit("/api/v1/workflows", body.toString(), salt, 1);
  }

  private CompletableFuture<String> submit(String path, String body, int salt, int tries) {
    HttpRequest request =
        HttpRequest.newBuilder(node(salt).resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          if (error == null && response.statusCode() / 100 == 2) {
            return CompletableFuture.completedFuture(idOf(response.body()));
          }
          int status = error == null ? response.statusCode() : NO_ANSWER;
          refusals.computeIfAbsent(status, s -> new LongAdder()).increment();
          boolean retryable = error != null || status == 429 || status >= 500;
          if (!retryable || tries >= MAX_TRIES) {
            String why = error != null ? error.toString() : status + " " + response.body();
            return CompletableFuture.<String>failedFuture(new IOException("submission refused: " + why));
          }
          long delayMs = error == null ? retryAfterMs(response) : DEFAULT_RETRY_AFTER_MS;
          Executor later = CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS, executor);
          // The next node: a node that cannot answer now should not get the same request again.
          return CompletableFuture.supplyAsync(() -> body, later).thenCompose(b -> submit(path, b, salt + 1, tries + 1));
        })
        .thenCompose(next -> next);
  }

  /**
   * Submits tasks in batches ({@code POST /api/v1/tasks/batch}) until each is taken; completes
   * with their ids in order, null for a task given up. A task refused with 429 or 503 goes again
   * in the next batch after Retry-After, to the next node; a batch that got no answer goes again
   * whole (the idempotency keys make that harmless).
   */
  CompletableFuture<List<String>> submitBatch(List<ObjectNode> bodies, int salt) {
    String[] ids = new String[bodies.size()];
    List<Integer> all = IntStream.range(0, bodies.size()).boxed().toList();
    return submitBatch(bodies, all, ids, salt, 1).thenApply(done -> Arrays.asList(ids));
  }

  private CompletableFuture<Void> submitBatch(List<ObjectNode> bodies, List<Integer> pending, String[] ids, int salt, int tries) {
    ObjectNode batch = JSON.createObjectNode();
    pending.forEach(i -> batch.withArray("tasks").add(bodies.get(i)));
    HttpRequest request =
        HttpRequest.newBuilder(node(salt).resolve("/api/v1/tasks/batch"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(batch.toString()))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          List<Integer> again = pending;
          long delayMs = DEFAULT_RETRY_AFTER_MS;
          if (error == null && response.statusCode() == 200) {
            again = takeAccepted(response.body(), pending, ids);
            delayMs = retryAfterMs(response);
          } else {
            int status = error == null ? response.statusCode() : NO_ANSWER;
            refusals.computeIfAbsent(status, s -> new LongAdder()).add(pending.size());
            if (error == null && status < 500) return CompletableFuture.<Void>completedFuture(null); // a bad batch
          }
          if (again.isEmpty() || tries >= MAX_TRIES) return CompletableFuture.<Void>completedFuture(null);
          List<Integer> retry = again;
          Executor later = CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS, executor);
          return CompletableFuture.supplyAsync(() -> retry, later)
              .thenCompose(r -> submitBatch(bodies, r, ids, salt + 1, tries + 1));
        })
        .thenCompose(next -> next);
  }

  /** Records the ids of the batch's taken tasks; answers the indexes worth sending again. */
  private List<Integer> takeAccepted(String body, List<Integer> pending, String[] ids) {
    try {
      JsonNode results = JSON.readTree(body).get("results");
      List<Integer> again = new ArrayList<>();
      for (JsonNode result : results) {
        int index = pending.get(result.get("index").asInt());
        int status = result.get("status").asInt();
        if (status / 100 == 2) {
          ids[index] = result.get("task").get("id").asText();
          continue;
        }
        refusals.computeIfAbsent(status, s -> new LongAdder()).increment();
        if (status == 429 || status >= 500) again.add(index);
      }
      return again;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String idOf(String view) {
    try {
      return JSON.readTree(view).get("id").asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long retryAfterMs(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After")
        .map(value -> {
          try {
            return Math.max(0, Long.parseLong(value.trim()) * 1000);
          } catch (NumberFormatException httpDate) {
            return DEFAULT_RETRY_AFTER_MS;
          }
        })
        .orElse(DEFAULT_RETRY_AFTER_MS);
  }

  /** The task's view, or null if the node did not answer 200 (e.g. while its shard moves). */
  CompletableFuture<JsonNode> task(String id, int salt) {
    return view("/api/v1/tasks/" + id, salt);
  }

  /** The workflow's view, or null if the node did not answer 200. */
  CompletableFuture<JsonNode> workflow(String id, int salt) {
    return view("/api/v1/workflows/" + id, salt);
  }

  private CompletableFuture<JsonNode> view(String path, int salt) {
    HttpRequest request =
        HttpRequest.newBuilder(node(salt).resolve(path)).timeout(Duration.ofSeconds(30)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          if (error != null || response.statusCode() != 200) return null;
          try {
            return JSON.readTree(response.body());
          } catch (IOException e) {
            return null;
          }
        });
  }

  /** POSTs an empty body; answers the status (e.g. a breaker reset). */
  int post(String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(node(0).resolve(path)).timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.noBody()).build();
    return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** GETs a JSON document; null unless the answer is 200. */
  JsonNode get(String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(node(0).resolve(path)).timeout(Duration.ofSeconds(30)).build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
  }

  /**
   * Tasks of {@code type} ended so far by the nodes' own count (GET /metrics of each: attempts that
   * succeeded and tasks dead-lettered). Cheap to ask; a node that does not answer adds nothing.
   */
  long endedByMetrics(String type) throws InterruptedException {
    long ended = 0;
    for (URI node : nodes) {
      HttpRequest request = HttpRequest.newBuilder(node.resolve("/metrics")).timeout(Duration.ofSeconds(10)).build();
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) ended += Metrics.ended(response.body(), type);
      } catch (IOException unanswered) {
        // counted as nothing ended there
      }
    }
    return ended;
  }

  private URI node(int salt) {
    return nodes.get(Math.floorMod(salt, nodes.size()));
  }

  /**
   * A request body for a task of {@code type}; callers add payload and retryPolicy. Without a key
   * (null), a submission refused with 5xx and sent again may leave a second task behind: only the
   * throughput scenarios do that, and they count the tasks whose ids they were given.
   */
  static ObjectNode task(String type, String idempotencyKey) {
    ObjectNode body = JSON.createObjectNode().put("type", type);
    if (idempotencyKey != null) body.put("idempotencyKey", idempotencyKey);
    body.putObject("payload");
    return body;
  }
}
