package io.steadfast.stats;

import io.steadfast.protocol.TaskStatus;

/**
 * Which tasks a listing is about; null fields match any task.
 *
 * @param createdFrom epoch milliseconds, inclusive
 * @param createdBefore epoch milliseconds, exclusive
 * @param taskId one task (a search by id, or by the idempotency key it was derived from)
 */
public record TaskFilter(TaskStatus status, String type, Long createdFrom, Long createdBefore, String taskId) {}
