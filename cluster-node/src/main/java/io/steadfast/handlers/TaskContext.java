package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * What a handler knows about the attempt it runs.
 *
 * @param payload the payload given at submission; an empty object when none was given
 * @param attempt 1 for the first attempt
 * @param deadline when the attempt times out
 * @param cancellation true once the attempt should stop (timed out, or the task was cancelled)
 */
public record TaskContext(
    String taskId,
    String type,
    JsonNode payload,
    int attempt,
    Instant deadline,
    BooleanSupplier cancellation) {

  public TaskContext {
    if (payload == null || payload.isNull()) payload = JsonNodeFactory.instance.objectNode();
  }

  /** Whether the attempt should stop; long-running handlers should check it often. */
  public boolean isCancelled() {
    return cancellation.getAsBoolean();
  }
}
