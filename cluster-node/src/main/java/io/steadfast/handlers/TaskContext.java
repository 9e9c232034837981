package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What a handler knows about the attempt it runs, and how it records progress.
 *
 * @param payload the payload given at submission; an empty object when none was given
 * @param attempt 1 for the first attempt
 * @param deadline when the attempt times out
 * @param lastCheckpoint the last state recorded with {@link #checkpoint} by any earlier attempt
 *     (on any node), or null
 * @param dependencyResults for a workflow's step, what each step it depends on returned, by step
 *     name; empty for a task submitted on its own
 * @param cancellation true once the attempt should stop (timed out, or the task was cancelled)
 * @param checkpointer persists a checkpoint in the task's journal
 */
public record TaskContext(
    String taskId,
    String type,
    JsonNode payload,
    int attempt,
    Instant deadline,
    JsonNode lastCheckpoint,
    Map<String, JsonNode> dependencyResults,
    BooleanSupplier cancellation,
    Checkpointer checkpointer) {

  /** A task submitted on its own: no dependencies. */
  public TaskContext(
      String taskId, String type, JsonNode payload, int attempt, Instant deadline, JsonNode lastCheckpoint,
      BooleanSupplier cancellation, Checkpointer checkpointer) {
    this(taskId, type, payload, attempt, deadline, lastCheckpoint, Map.of(), cancellation, checkpointer);
  }

  /** Persists progress; returns once it is in the journal. */
  @FunctionalInterface
  public interface Checkpointer {
    void record(JsonNode state) throws Exception;
  }

  public TaskContext {
    if (payload == null || payload.isNull()) payload = JsonNodeFactory.instance.objectNode();
    dependencyResults = dependencyResults == null ? Map.of() : dependencyResults;
  }

  /** What dependency {@code step} returned; empty when this task does not depend on it. */
  public Optional<JsonNode> dependencyResult(String step) {
    return Optional.ofNullable(dependencyResults.get(step));
  }

  /** Whether the attempt should stop; long-running handlers should check it often. */
  public boolean isCancelled() {
    return cancellation.getAsBoolean();
  }

  /**
   * Records {@code state} as this task's progress: it survives crashes, and the next attempt (on
   * any node) sees it as {@link #lastCheckpoint}. Blocks until the checkpoint is durable.
   *
   * @throws Exception if it could not be persisted (the attempt should then fail)
   */
  public void checkpoint(JsonNode state) throws Exception {
    checkpointer.record(state);
  }
}
