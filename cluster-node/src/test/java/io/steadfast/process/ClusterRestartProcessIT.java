package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole cluster stops while tasks are open and starts again: every task finishes, without
 * anyone asking about it, because the unfinished ones are in the wake-up index (task_open) and
 * the nodes' wakers start them.
 */
class ClusterRestartProcessIT {
  private static final int TASKS = 60;

  @Test
  void openTasksFinishAfterTheWholeClusterRestarts() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("restart", 3)) {
      List<String> ids = ClusterFailoverProcessIT.submitSleepTasks(cluster, TASKS, 5000);
      LocalCluster.await("all tasks started", Duration.ofSeconds(30),
          () -> count(cluster, "AttemptStarted") == TASKS);

      cluster.stopGracefully(cluster.nodes());
      int finishedBeforeRestart = count(cluster, "AttemptSucceeded");
      assertTrue(finishedBeforeRestart < TASKS, "every task finished before the stop: nothing was tested");

      for (LocalCluster.Node node : cluster.nodes()) cluster.launch(node);
      for (LocalCluster.Node node : cluster.nodes()) cluster.awaitReady(node);

      // Watch the journal, not the API: a read would wake a task that sharding failed to restart.
      LocalCluster.await("every task to succeed after the restart", Duration.ofSeconds(120),
          () -> count(cluster, "AttemptSucceeded") == TASKS);

      Map<String, JsonNode> done = TaskProgress.awaitTerminal(cluster, ids, Duration.ofSeconds(30));
      int interrupted = 0;
      for (JsonNode task : done.values()) {
        assertEquals("SUCCEEDED", task.get("status").asText(), () -> "not succeeded: " + task);
        JsonNode history = task.get("history");
        for (int i = 0; i < history.size() - 1; i++) {
          // An attempt the stop interrupted ends HANDED_OFF when its entity could still write that
          // down while its shard moved (then it spent nothing), else NODE_LOST when it is recovered
          // after the restart: the whole cluster stopping at once can stop a node's entities
          // before their hand-off is written.
          String outcome = history.get(i).get("outcome").asText();
          assertTrue(outcome.equals("NODE_LOST") || outcome.equals("HANDED_OFF"), () -> "unexpected history: " + task);
          if (outcome.equals("HANDED_OFF")) {
            assertFalse(history.get(i).get("counted").asBoolean(), () -> "a hand-off spent an attempt: " + task);
          }
          interrupted++;
        }
      }
      System.out.printf(
          "RESTART: %d tasks; %d finished before the stop; %d attempts interrupted by it; all succeeded after%n",
          TASKS, finishedBeforeRestart, interrupted);
    }
  }

  private static int count(LocalCluster cluster, String event) {
    try {
      return cluster.tasksWithEvent(event);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
