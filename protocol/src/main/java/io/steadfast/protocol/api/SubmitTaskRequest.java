package io.steadfast.protocol.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Body of {@code POST /api/v1/tasks}.
 *
 * @param type a task type known to the cluster's configuration
 * @param payload any JSON object handed to the task's handler; optional
 * @param idempotencyKey resubmitting with the same key returns the same task; optional
 */
public record SubmitTaskRequest(String type, JsonNode payload, String idempotencyKey) {}
