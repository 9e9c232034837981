package io.steadfast.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.RetryPolicy;

/** A task type as configured: the handler that runs it and how its attempts are retried. */
public record TaskType(String name, TaskHandler handler, RetryPolicy retryPolicy, long attemptTimeoutMs) {

  /** The spec of a new task of this type; a null payload becomes an empty object. */
  public TaskSpec newSpec(JsonNode payload, String idempotencyKey) {
    JsonNode body = payload == null || payload.isNull() ? JsonNodeFactory.instance.objectNode() : payload;
    return new TaskSpec(name, body, idempotencyKey, retryPolicy, attemptTimeoutMs);
  }
}
