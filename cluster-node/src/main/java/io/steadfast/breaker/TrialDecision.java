package io.steadfast.breaker;

/**
 * The answer to {@link BreakerStatus#grantTrial}: whether a half-open breaker lets one more trial
 * attempt through, and the status to keep either way (time may have moved it to HALF_OPEN).
 */
public record TrialDecision(boolean granted, BreakerStatus status) {}
