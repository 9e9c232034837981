package io.steadfast.process;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.core.ConditionTimeoutException;

/** Reads many tasks through the API, in parallel, until all of them are terminal. */
final class TaskProgress {
  /** Each poll reads every task not yet terminal: not too often. */
  private static final Duration POLL_EVERY = Duration.ofMillis(500);

  private TaskProgress() {}

  /** Polls every task through nodes that are up until all are terminal; returns their last views. */
  static Map<String, JsonNode> awaitTerminal(LocalCluster cluster, Collection<String> ids, Duration timeout)
      throws Exception {
    Map<String, JsonNode> terminal = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      LocalCluster.await(ids.size() + " tasks terminal", timeout, POLL_EVERY, () -> {
        readUnfinished(cluster, ids, terminal, pool);
        return terminal.size() == ids.size();
      });
      return terminal;
    } catch (ConditionTimeoutException e) {
      List<String> stuck = new ArrayList<>();
      for (String id : ids) {
        if (terminal.containsKey(id) || stuck.size() >= 3) continue;
        JsonNode view = cluster.task(cluster.anyUp(0), id);
        stuck.add(view == null ? id + ": no answer" : view.toString());
      }
      throw new AssertionError((ids.size() - terminal.size()) + " of " + ids.size()
          + " tasks not terminal after " + timeout + "; for example: " + String.join("\n", stuck), e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Reads each task not yet terminal once, in parallel, through the nodes that are up. */
  private static void readUnfinished(
      LocalCluster cluster, Collection<String> ids, Map<String, JsonNode> terminal, ExecutorService pool) {
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
    try {
      for (Future<?> read : reads) read.get();
    } catch (Exception e) {
      throw new IllegalStateException("reading tasks failed", e);
    }
  }

  static boolean isTerminal(JsonNode view) {
    String status = view.get("status").asText();
    return status.equals("SUCCEEDED") || status.equals("DEAD_LETTERED") || status.equals("CANCELLED");
  }
}
