package io.steadfast.process;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * A steady stream of submissions with idempotency keys, as a careful client sends them: every
 * 503 or 429 (and a connection refused by a node that is down) is sent again with the same key,
 * to another node, after its Retry-After. Records which keys were acknowledged and when, and
 * every answer a client should never see.
 */
final class SteadyLoad implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A submission not acknowledged within this long means the cluster stopped taking work. */
  private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(120);

  /** An acknowledged submission: its task id and when the 202 (or idempotent 200) came. */
  record Acked(String key, String id, long ackedAtMillis) {}

  private final LocalCluster cluster;
  private final String keyPrefix;
  private final IntFunction<String> bodyFor;
  private final ExecutorService clients;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger sequence = new AtomicInteger();
  private final Map<String, Acked> acked = new ConcurrentHashMap<>();
  private final List<String> unexpected = new CopyOnWriteArrayList<>();
  private final AtomicInteger retried = new AtomicInteger();

  /**
   * @param bodyFor the submission for number n, a JSON object without idempotencyKey
   * @param clients how many clients submit, each one request at a time
   * @param pause how long a client waits between two of its submissions
   */
  SteadyLoad(LocalCluster cluster, String keyPrefix, IntFunction<String> bodyFor, int clients, Duration pause) {
    this.cluster = cluster;
    this.keyPrefix = keyPrefix;
    this.bodyFor = bodyFor;
    this.clients = Executors.newFixedThreadPool(clients);
    for (int c = 0; c < clients; c++) {
      this.clients.submit(() -> {
        while (running.get()) {
          submitUntilAcked(sequence.incrementAndGet());
          LockSupport.parkNanos(pause.toNanos()); // pacing of the client, not a wait for a condition
        }
      });
    }
  }

  private void submitUntilAcked(int n) {
    String key = keyPrefix + "-" + n;
    String body = bodyFor.apply(n);
    body = body.substring(0, body.lastIndexOf('}')) + ",\"idempotencyKey\":\"" + key + "\"}";
    long deadline = System.nanoTime() + GIVE_UP_AFTER.toNanos();
    int attempt = 0;
    while (System.nanoTime() < deadline) {
      LocalCluster.Node node;
      try {
        node = cluster.anyUp(n + attempt++);
      } catch (RuntimeException noneUp) { // every node down at this instant (a full restart)
        LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
        continue;
      }
      try {
        HttpResponse<String> answer = cluster.post(node, "/api/v1/tasks", body);
        int status = answer.statusCode();
        if (status == 202 || status == 200) {
          acked.put(key, new Acked(key, JSON.readTree(answer.body()).get("id").asText(), System.currentTimeMillis()));
          return;
        }
        if (status != 503 && status != 429) {
          unexpected.add(key + " -> " + status + " " + answer.body());
          return;
        }
        retried.incrementAndGet();
        long retryAfter = answer.headers().firstValue("Retry-After").map(Long::parseLong).orElse(-1L);
        if (retryAfter < 0) unexpected.add(key + " -> " + status + " without Retry-After");
        LockSupport.parkNanos(Duration.ofSeconds(Math.max(1, Math.min(retryAfter, 5))).toNanos());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException nodeGoneOrSlow) {
        // The node died under the request, is starting, or did not answer in time: try another
        // one in a moment (a refused connection fails at once; no client spins on it).
        retried.incrementAndGet();
        LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
      } catch (Exception other) {
        unexpected.add(key + " -> " + other);
        return;
      }
    }
    unexpected.add(key + " not acknowledged within " + GIVE_UP_AFTER);
  }

  /** Stops submitting and waits for the submissions in flight to end. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    clients.shutdown();
    if (!clients.awaitTermination(GIVE_UP_AFTER.toSeconds() + 30, TimeUnit.SECONDS)) clients.shutdownNow();
  }

  Map<String, Acked> acked() {
    return Map.copyOf(acked);
  }

  List<String> unexpected() {
    return new ArrayList<>(unexpected);
  }

  int retried() {
    return retried.get();
  }
}
