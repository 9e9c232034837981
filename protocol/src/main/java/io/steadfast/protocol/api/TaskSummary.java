package io.steadfast.protocol.api;

import io.steadfast.protocol.TaskStatus;

/** A task as listed: the read side's row, a moment behind the task itself. */
public record TaskSummary(
    String id, String type, TaskStatus status, int priority, int attempts, String createdAt, String updatedAt) {}
