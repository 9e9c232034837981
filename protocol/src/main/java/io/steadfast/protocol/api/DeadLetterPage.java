package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;
import java.util.List;

/**
 * One page of dead letters, newest first.
 *
 * @param nextCursor pass as {@code after} for the next page; null on the last page
 */
public record DeadLetterPage(List<DeadLetterView> entries, Long nextCursor) implements CborSerializable {}
