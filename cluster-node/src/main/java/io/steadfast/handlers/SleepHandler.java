package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A long task: payload {@code {"durationMs": n, "checkpointEveryMs": m}}. Sleeps in short slices
 * so that it notices cancellation quickly; with {@code checkpointEveryMs} it records how long it
 * has slept, and a later attempt (on any node) sleeps only the rest.
 */
public final class SleepHandler implements TaskHandler {
  static final long SLICE_MS = 50;

  @Override
  public String name() {
    return "sleep";
  }

  @Override
  public JsonNode execute(TaskContext context) throws Exception {
    long durationMs = nonNegative(context.payload(), "durationMs", true);
    long checkpointEveryMs = nonNegative(context.payload(), "checkpointEveryMs", false);
    long resumedFromMs =
        context.lastCheckpoint() == null ? 0 : Math.min(durationMs, context.lastCheckpoint().path("sleptMs").asLong(0));

    long sleptMs = resumedFromMs;
    long startedAt = System.nanoTime();
    long lastCheckpointMs = resumedFromMs;
    while (sleptMs < durationMs) {
      if (context.isCancelled()) {
        throw new RetryableTaskException("CANCELLED", "sleep stopped after " + sleptMs + " ms: the attempt was cancelled");
      }
      Thread.sleep(Math.min(SLICE_MS, durationMs - sleptMs));
      sleptMs = Math.min(durationMs, resumedFromMs + (System.nanoTime() - startedAt) / 1_000_000);
      if (checkpointEveryMs > 0 && sleptMs - lastCheckpointMs >= checkpointEveryMs && sleptMs < durationMs) {
        context.checkpoint(JsonNodeFactory.instance.objectNode().put("sleptMs", sleptMs));
        lastCheckpointMs = sleptMs;
      }
    }
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put("sleptMs", durationMs);
    result.put("resumedFromMs", resumedFromMs);
    result.put("sleptThisAttemptMs", durationMs - resumedFromMs);
    return result;
  }

  private static long nonNegative(JsonNode payload, String field, boolean required) throws PermanentTaskException {
    JsonNode value = payload.get(field);
    if (value == null || value.isNull()) {
      if (!required) return 0;
      throw new PermanentTaskException("INVALID_PAYLOAD", "sleep needs " + field + " (a non-negative integer)");
    }
    if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
      throw new PermanentTaskException(
          "INVALID_PAYLOAD", field + " must be a non-negative integer but was " + value);
    }
    return value.asLong();
  }
}
