package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;
import java.util.Map;

/** How many dead letters there are, by task type and by error type. */
public record DeadLetterStats(long total, Map<String, Long> byType, Map<String, Long> byErrorType)
    implements CborSerializable {}
