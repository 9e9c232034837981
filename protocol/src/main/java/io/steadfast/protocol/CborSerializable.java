package io.steadfast.protocol;

/**
 * Marker for every message, event and state that crosses a node boundary or enters the journal.
 * Bound to Pekko's jackson-cbor serializer in {@code config/serialization.conf}.
 */
public interface CborSerializable {}
