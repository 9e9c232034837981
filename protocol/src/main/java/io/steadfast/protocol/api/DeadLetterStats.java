package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;
import java.util.Map;

/**
 * How many dead letters there are, by task type and by error type.
 *
 * @param hostedBy the node ({@code host:port}) the queue runs on now
 */
public record DeadLetterStats(long total, Map<String, Long> byType, Map<String, Long> byErrorType, String hostedBy)
    implements CborSerializable {}
