package io.steadfast.protocol.api;

import java.util.Map;

/**
 * The cluster's figures, from the read side (a projection of the journal): right for the whole
 * cluster and unchanged by a node's death, a moment behind the tasks themselves ({@code readSide}
 * says how far).
 *
 * @param totals submitted, attempts, succeeded, failedAttempts, retried, deadLettered, cancelled, …
 * @param rates successPercent (succeeded of ended tasks), failurePercent (failed of ended
 *     attempts), retryPercent (retried of ended attempts)
 * @param byStatus tasks per status: pending, running, waiting to retry, deferred and the ended ones
 * @param byType the totals and statuses of each task type
 * @param failuresByErrorType failed attempts per error type
 * @param throughput tasks ended per second over the last minute and the last five
 * @param workflows workflows per status (RUNNING, SUCCEEDED, FAILED, CANCELLED)
 */
public record StatsView(
    Map<String, Long> totals,
    Map<String, Double> rates,
    Map<String, Long> byStatus,
    Map<String, TypeStats> byType,
    Map<String, Long> failuresByErrorType,
    Map<String, Double> throughput,
    Map<String, Long> circuitBreakers,
    DeadLetterStats deadLetters,
    ReadSideLag readSide,
    Map<String, Long> workflows) {

  public record TypeStats(Map<String, Long> totals, Map<String, Long> byStatus) {}

  /** How far the read side is behind the journal: unprocessed task events and the oldest one's age. */
  public record ReadSideLag(long events, long millis) {}
}
