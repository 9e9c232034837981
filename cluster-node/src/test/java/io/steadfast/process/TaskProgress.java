package io.steadfast.process;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/** Reads many tasks through the API, in parallel, until all of them are terminal. */
final class TaskProgress {
  private TaskProgress() {}

  /** Polls every task through nodes that are up until all are terminal; returns their last views. */
  static Map<String, JsonNode> awaitTerminal(LocalCluster cluster, Collection<String> ids, Duration timeout)
      throws Exception {
    Map<String, JsonNode> terminal = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (terminal.size() < ids.size()) {
        if (System.nanoTime() > deadline) {
          List<String> stuck = new ArrayList<>();
          for (String id : ids) {
            if (terminal.containsKey(id) || stuck.size() >= 3) continue;
            JsonNode view = cluster.task(cluster.anyUp(0), id);
            stuck.add(view == null ? id + ": no answer" : view.toString());
          }
          throw new AssertionError((ids.size() - terminal.size()) + " of " + ids.size()
              + " tasks not terminal after " + timeout + "; for example: " + String.join("\n", stuck));
        }
        List<Future<?>> reads = new ArrayList<>();
        int salt = 0;
        for (String id : ids) {
          if (terminal.containsKey(id)) continue;
          LocalCluster.Node node = cluster.anyUp(salt++);
          reads.add(
              pool.submit(
                  () -> {
                    JsonNode view = cluster.task(node, id);
                    if (view != null && isTerminal(view)) terminal.put(id, view);
                  }));
        }
        for (Future<?> read : reads) read.get();
        if (terminal.size() < ids.size()) Thread.sleep(500);
      }
      return terminal;
    } finally {
      pool.shutdownNow();
    }
  }

  static boolean isTerminal(JsonNode view) {
    String status = view.get("status").asText();
    return status.equals("SUCCEEDED") || status.equals("DEAD_LETTERED") || status.equals("CANCELLED");
  }
}
