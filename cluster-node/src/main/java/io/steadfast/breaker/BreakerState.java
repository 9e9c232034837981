package io.steadfast.breaker;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Where a task type's circuit breaker stands. The moves between states are an explicit table so
 * that a bug in {@link BreakerStatus} fails loudly instead of leaving the breaker somewhere no
 * rule can take it out of.
 */
public enum BreakerState {
  /** Attempts run; their results are counted. */
  CLOSED,
  /** Attempts are held back until the reset timeout passes. */
  OPEN,
  /** A few trial attempts may run; their results decide between CLOSED and OPEN again. */
  HALF_OPEN,
  /** Held open by an operator; only a reset closes it, time never does. */
  FORCED_OPEN;

  private static final Map<BreakerState, Set<BreakerState>> ALLOWED =
      Map.of(
          CLOSED, EnumSet.of(OPEN, FORCED_OPEN),
          OPEN, EnumSet.of(HALF_OPEN, CLOSED, FORCED_OPEN),
          HALF_OPEN, EnumSet.of(CLOSED, OPEN, FORCED_OPEN),
          FORCED_OPEN, EnumSet.of(CLOSED));

  public boolean canMoveTo(BreakerState to) {
    return ALLOWED.get(this).contains(to);
  }

  /**
   * Returns {@code to} if the table allows moving there from this state.
   *
   * @throws IllegalStateException naming both states otherwise
   */
  public BreakerState moveTo(BreakerState to) {
    if (!canMoveTo(to)) {
      throw new IllegalStateException("a breaker cannot move from " + this + " to " + to);
    }
    return to;
  }
}
