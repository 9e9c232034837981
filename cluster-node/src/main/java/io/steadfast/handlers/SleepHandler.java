package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A long task: payload {@code {"durationMs": n}}. Sleeps in short slices so that it notices
 * cancellation within {@value #SLICE_MS} ms.
 */
public final class SleepHandler implements TaskHandler {
  static final long SLICE_MS = 50;

  @Override
  public String name() {
    return "sleep";
  }

  @Override
  public JsonNode execute(TaskContext context) throws Exception {
    JsonNode duration = context.payload().get("durationMs");
    if (duration == null || !duration.canConvertToLong() || duration.asLong() < 0) {
      throw new PermanentTaskException(
          "INVALID_PAYLOAD", "sleep needs a non-negative integer durationMs but got " + duration);
    }
    long endAt = System.nanoTime() + duration.asLong() * 1_000_000;
    long remainingNanos;
    while ((remainingNanos = endAt - System.nanoTime()) > 0) {
      if (context.isCancelled()) {
        throw new RetryableTaskException("CANCELLED", "sleep stopped: the attempt was cancelled");
      }
      Thread.sleep(Math.min(SLICE_MS, Math.max(1, remainingNanos / 1_000_000)));
    }
    return JsonNodeFactory.instance.objectNode().put("sleptMs", duration.asLong());
  }
}
