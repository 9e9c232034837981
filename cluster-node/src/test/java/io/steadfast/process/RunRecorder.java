package io.steadfast.process;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The far end of the {@code http} handler in process tests: every call is one run of a task's
 * handler, seen from outside the cluster. It holds each call for {@code holdMs} (the work), then
 * answers 200; a call whose answer cannot be written was abandoned by its node (killed, or the
 * attempt cancelled), so only runs answered in full count as having run to the end.
 */
final class RunRecorder implements AutoCloseable {
  /** One call: {@code key} from the query string, wall-clock nanos, and whether its node took the answer. */
  record Run(String key, long startedNanos, long endedNanos, boolean answered) {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final Map<String, List<Run>> runs = new ConcurrentHashMap<>();
  private final long holdMs;

  RunRecorder(long holdMs) throws IOException {
    this.holdMs = holdMs;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/run", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /** The URL a task's payload names; {@code key} identifies the task. */
  String url(String key) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/run?key=" + key;
  }

  private void handle(HttpExchange exchange) {
    String key = exchange.getRequestURI().getQuery().substring("key=".length());
    long started = System.nanoTime();
    boolean answered = false;
    try {
      exchange.getRequestBody().readAllBytes();
      Thread.sleep(holdMs);
      byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
      answered = true;
    } catch (IOException | InterruptedException abandoned) {
      // the node closed the connection: killed, or its attempt was cancelled
    } finally {
      exchange.close();
      runs.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(new Run(key, started, System.nanoTime(), answered));
    }
  }

  /** Calls received for {@code key}, abandoned ones included. */
  List<Run> runs(String key) {
    List<Run> list = runs.get(key);
    if (list == null) return List.of();
    synchronized (list) {
      return List.copyOf(list);
    }
  }

  /** Keys with two runs answered in full that overlapped in time: a task that ran twice at once. */
  List<String> overlapping() {
    List<String> overlapping = new ArrayList<>();
    for (String key : runs.keySet()) {
      List<Run> answered = runs(key).stream().filter(Run::answered).toList();
      for (int i = 0; i < answered.size(); i++) {
        for (int j = i + 1; j < answered.size(); j++) {
          Run a = answered.get(i);
          Run b = answered.get(j);
          if (a.startedNanos() < b.endedNanos() && b.startedNanos() < a.endedNanos()) overlapping.add(key);
        }
      }
    }
    return overlapping;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
