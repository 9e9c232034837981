package io.steadfast.protocol.api;

import io.steadfast.protocol.WorkflowStatus;

/** A workflow as listings show it: the read side's row, a moment behind the workflow itself. */
public record WorkflowSummary(
    String id, String name, WorkflowStatus status, int steps, int stepsSucceeded, String createdAt,
    String updatedAt) {}
