package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;

/**
 * A task in the dead-letter queue: why it ended there and when.
 *
 * @param sequence the entry's position in the queue (newer entries have larger numbers); the
 *     paging cursor
 * @param attempts attempts the task made in all
 * @param reason why it was dead-lettered: a permanent error, or attempts exhausted
 */
public record DeadLetterView(
    long sequence,
    String taskId,
    String type,
    String errorType,
    String errorMessage,
    int attempts,
    String firstFailureAt,
    String lastFailureAt,
    String deadLetteredAt,
    String reason)
    implements CborSerializable {}
