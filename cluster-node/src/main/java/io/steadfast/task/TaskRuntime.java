package io.steadfast.task;

import io.steadfast.breaker.Breakers;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.execution.Bulkheads;
import io.steadfast.ratelimit.RatePermits;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.random.RandomGenerator;
import org.apache.pekko.Done;

/**
 * What a task entity needs from its node: the configured types, the bulkheads their handlers run
 * behind, the node's name for the attempt history, time and randomness (both injected so that
 * tests control them).
 *
 * @param nodeName the remoting address {@code host:port} recorded on every attempt
 * @param random draws retry jitter; the drawn delay is persisted, so replay never redraws
 * @param deadLetters where dead-lettered tasks are filed
 * @param breakers each task type's circuit breaker
 * @param metrics what the entity counts (submissions, attempts, dead letters)
 * @param steps told when a workflow step's task ends or is redriven
 * @param ratePermits each rate-limited type's permits on this node
 */
public record TaskRuntime(
    TaskTypes types,
    Bulkheads bulkheads,
    String nodeName,
    Clock clock,
    RandomGenerator random,
    int snapshotEvery,
    Duration passivateTerminalAfter,
    DeadLetterFiler deadLetters,
    Breakers breakers,
    TaskMetrics metrics,
    StepLink.Reporter steps,
    RatePermits ratePermits) {

  /** Hands a dead letter to the queue; completes when the queue has it in its journal. */
  @FunctionalInterface
  public interface DeadLetterFiler {
    CompletionStage<Done> file(DeadLetterQueue.Entry entry);
  }
}
