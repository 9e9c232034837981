package io.steadfast.protocol.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.StepReadiness;
import io.steadfast.protocol.TaskError;
import java.util.List;

/**
 * One step of a workflow, with what its task says about it while it runs.
 *
 * @param waitingFor the steps it depends on that have not succeeded
 * @param blockedBy of those, the dead-lettered ones: it starts only once they are redriven and succeed
 * @param taskId its task (derived from the workflow's id and the step's name); null before it starts
 * @param eligibleToRetry another attempt will come (at nextAttemptAt) without anyone acting
 * @param nextAttemptAt when its next attempt is due, while it waits to retry or is deferred
 * @param retryAfterMs a wait the far end asked for (rate limited), or null
 */
public record WorkflowStepView(
    String name,
    String type,
    List<String> dependsOn,
    StepReadiness state,
    List<String> waitingFor,
    List<String> blockedBy,
    String taskId,
    int attempts,
    int maxAttempts,
    boolean eligibleToRetry,
    String nextAttemptAt,
    Long retryAfterMs,
    TaskError lastError,
    JsonNode result,
    String startedAt,
    String endedAt)
    implements CborSerializable {}
