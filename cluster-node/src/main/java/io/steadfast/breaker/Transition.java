package io.steadfast.breaker;

import java.time.Instant;

/** One change of a breaker's state, kept in {@link BreakerStatus#transitions()} for operators. */
public record Transition(BreakerState from, BreakerState to, Instant at, String reason) {}
