package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.StepReadiness;
import io.steadfast.protocol.WorkflowStatus;
import java.util.List;
import java.util.Map;

/**
 * A workflow as the API shows it. Times are ISO-8601 UTC with milliseconds.
 *
 * @param endedAt when it last reached SUCCEEDED, FAILED or CANCELLED; null while RUNNING
 * @param stepsByState how many steps are in each state (every state listed)
 * @param steps in the order they were submitted
 */
public record WorkflowView(
    String id,
    String name,
    String idempotencyKey,
    WorkflowStatus status,
    String createdAt,
    String updatedAt,
    String endedAt,
    Map<StepReadiness, Integer> stepsByState,
    List<WorkflowStepView> steps)
    implements CborSerializable {}
