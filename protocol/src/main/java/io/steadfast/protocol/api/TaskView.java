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
 * @param priority 0 (lowest) to 9 (most urgent)
 * @param attempts attempts started so far
 * @param nextAttemptAt when the next attempt is due, while the task waits
 * @param cancelRequested cancellation was asked while an attempt ran; the task ends with it
 * @param checkpoint the last progress a handler recorded, or null
 * @param history one entry per attempt, oldest first
 */
public record TaskView(
    String id,
    String type,
    TaskStatus status,
    JsonNode payload,
    int priority,
    int attempts,
    int maxAttempts,
    RetryPolicy retryPolicy,
    long attemptTimeoutMs,
    String createdAt,
    String updatedAt,
    String nextAttemptAt,
    boolean cancelRequested,
    TaskError lastError,
    JsonNode result,
    JsonNode checkpoint,
    List<AttemptView> history)
    implements CborSerializable {}
