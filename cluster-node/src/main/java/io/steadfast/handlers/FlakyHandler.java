package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * Fails on purpose, for demos and chaos tests: payload {@code {"failTimes": n, "error":
 * "retryable"|"permanent"}} fails the first n attempts with that kind of error, then succeeds.
 */
public final class FlakyHandler implements TaskHandler {
  @Override
  public String name() {
    return "flaky";
  }

  @Override
  public JsonNode execute(TaskContext context) throws Exception {
    int failTimes = context.payload().path("failTimes").asInt(0);
    String error = context.payload().path("error").asText("retryable");
    if (context.attempt() <= failTimes) {
      String message = "flaky failure " + context.attempt() + " of " + failTimes;
      switch (error) {
        case "retryable" -> throw new RetryableTaskException("FLAKY", message);
        case "permanent" -> throw new PermanentTaskException("FLAKY", message);
        default -> throw new PermanentTaskException(
            "INVALID_PAYLOAD", "error must be retryable or permanent but was '" + error + "'");
      }
    }
    return JsonNodeFactory.instance.objectNode().put("succeededOnAttempt", context.attempt());
  }
}
