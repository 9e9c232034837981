package io.steadfast.execution;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.TaskError;
import java.time.Duration;

/** How a handler's attempt ended, as data. */
public sealed interface AttemptResult {

  record Succeeded(JsonNode result) implements AttemptResult {}

  /** @param retryAfter the handler's own idea of when to retry; null to use the policy */
  record Failed(TaskError error, Duration retryAfter) implements AttemptResult {
    public Failed(TaskError error) {
      this(error, null);
    }
  }

  /** Told to come back later: the attempt does not count against the maximum. */
  record RateLimited(String message, Duration retryAfter) implements AttemptResult {}
}
