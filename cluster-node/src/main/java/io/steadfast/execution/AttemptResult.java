package io.steadfast.execution;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.TaskError;

/** How a handler's attempt ended, as data. */
public sealed interface AttemptResult {

  record Succeeded(JsonNode result) implements AttemptResult {}

  record Failed(TaskError error) implements AttemptResult {}
}
