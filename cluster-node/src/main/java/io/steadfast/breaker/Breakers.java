package io.steadfast.breaker;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** What a task needs of its type's circuit breaker (and metrics of this node's copies of them). */
public interface Breakers {

  /** This node's copy of the breaker's status; empty before the node has heard of it. */
  Optional<BreakerStatus> lastHeard(String type);

  /** The status attempts go by: a breaker this node has not heard of yet counts as closed. */
  default BreakerStatus status(String type) {
    return lastHeard(type).orElseGet(BreakerStatus::closed);
  }

  /**
   * Asks the breaker itself to let one attempt through as a half-open trial. The answer carries
   * the breaker's status as it decided, which says when a task turned away should look again.
   */
  CompletionStage<TrialDecision> requestTrial(String type);

  /** An attempt's result, for the breaker's counts; never waits. */
  void report(String type, boolean failure, boolean trial);
}
