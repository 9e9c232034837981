package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;
import java.util.List;

/**
 * A task type's circuit breaker as the API shows it.
 *
 * @param state CLOSED, OPEN, HALF_OPEN or FORCED_OPEN
 * @param callsInWindow / failuresInWindow / failureRatePercent the sliding window of attempts
 * @param openedAt when it last opened; null while closed
 * @param nextHalfOpenAt when an open breaker lets a trial through; null otherwise
 * @param transitions recent state changes, oldest first
 * @param hostedBy the node ({@code host:port}) the breaker runs on now
 */
public record CircuitBreakerView(
    String type,
    String state,
    int consecutiveFailures,
    int callsInWindow,
    int failuresInWindow,
    int failureRatePercent,
    String openedAt,
    String nextHalfOpenAt,
    int trialsGranted,
    List<TransitionView> transitions,
    String hostedBy)
    implements CborSerializable {

  /** One state change of a breaker. */
  public record TransitionView(String from, String to, String at, String reason) implements CborSerializable {}
}
