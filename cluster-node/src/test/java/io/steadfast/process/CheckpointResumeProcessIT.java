package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A long task that checkpoints is killed mid-way with its node; it finishes on another node and
 * does not redo what it had checkpointed.
 */
class CheckpointResumeProcessIT {
  private static final long DURATION_MS = 8000;

  @Test
  void aCheckpointedTaskResumesOnAnotherNodeWithoutRedoingItsProgress() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("checkpoint", 3)) {
      String id = cluster.submit(cluster.node(1), "sleep",
          "{\"durationMs\":" + DURATION_MS + ",\"checkpointEveryMs\":500}");

      JsonNode[] seen = new JsonNode[1];
      LocalCluster.await("2 s of checkpointed progress", Duration.ofSeconds(30), () -> {
        seen[0] = cluster.task(cluster.node(1), id);
        return seen[0] != null && seen[0].path("checkpoint").path("sleptMs").asLong() >= 2000;
      });
      String runningOn = lastAttempt(seen[0]).get("node").asText();
      LocalCluster.Node victim = cluster.nodes().stream().filter(n -> n.name().equals(runningOn)).findFirst().orElseThrow();
      cluster.kill(victim);
      JsonNode beforeKill = cluster.task(cluster.anyUp(0), id);
      long checkpointedMs = beforeKill == null ? seen[0].get("checkpoint").get("sleptMs").asLong()
          : beforeKill.get("checkpoint").get("sleptMs").asLong();

      JsonNode done = TaskProgress.awaitTerminal(cluster, List.of(id), Duration.ofSeconds(90)).get(id);

      assertEquals("SUCCEEDED", done.get("status").asText(), done::toString);
      JsonNode history = done.get("history");
      assertEquals(2, history.size(), done::toString);
      assertEquals("NODE_LOST", history.get(0).get("outcome").asText());
      assertEquals(runningOn, history.get(0).get("node").asText());
      assertEquals("SUCCEEDED", history.get(1).get("outcome").asText());
      assertNotEquals(runningOn, history.get(1).get("node").asText());

      JsonNode result = done.get("result");
      long resumedFrom = result.get("resumedFromMs").asLong();
      assertTrue(resumedFrom >= checkpointedMs, "resumed from the last checkpoint: " + result);
      assertEquals(DURATION_MS - resumedFrom, result.get("sleptThisAttemptMs").asLong());
      System.out.printf(
          "CHECKPOINT: killed %s with %d ms checkpointed; %s resumed from %d ms and slept %d of %d ms%n",
          runningOn, checkpointedMs, history.get(1).get("node").asText(), resumedFrom,
          result.get("sleptThisAttemptMs").asLong(), DURATION_MS);
    }
  }

  private static JsonNode lastAttempt(JsonNode task) {
    JsonNode history = task.get("history");
    return history.get(history.size() - 1);
  }
}
