package io.steadfast.task;

import io.steadfast.breaker.BreakerStatus;
import java.util.concurrent.CompletionStage;

/** What a task entity needs of its type's circuit breaker. */
public interface Breakers {

  /** This node's copy of the breaker's status; null before the node has heard of it. */
  BreakerStatus status(String type);

  /** Asks the breaker itself to let one attempt through as a half-open trial. */
  CompletionStage<Boolean> requestTrial(String type);

  /** An attempt's result, for the breaker's counts; never waits. */
  void report(String type, boolean failure, boolean trial);
}
