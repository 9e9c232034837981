package io.steadfast.protocol.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import java.util.List;

/**
 * A task as the API shows it. Times are ISO-8601 UTC with milliseconds (see {@link ApiTime}).
 *
 * @param attempts attempts started so far
 * @param history one entry per attempt, oldest first
 */
public record TaskView(
    String id,
    String type,
    TaskStatus status,
    JsonNode payload,
    int attempts,
    int maxAttempts,
    RetryPolicy retryPolicy,
    long attemptTimeoutMs,
    String createdAt,
    String updatedAt,
    String nextAttemptAt,
    TaskError lastError,
    JsonNode result,
    List<AttemptView> history)
    implements CborSerializable {}
