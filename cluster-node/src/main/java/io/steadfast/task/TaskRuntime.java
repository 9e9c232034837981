package io.steadfast.task;

import io.steadfast.execution.Bulkheads;
import java.time.Clock;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * What a task entity needs from its node: the configured types, the bulkheads their handlers run
 * behind, the node's name for the attempt history, time and randomness (both injected so that
 * tests control them).
 *
 * @param nodeName the remoting address {@code host:port} recorded on every attempt
 * @param random draws retry jitter; the drawn delay is persisted, so replay never redraws
 */
public record TaskRuntime(
    TaskTypes types,
    Bulkheads bulkheads,
    String nodeName,
    Clock clock,
    RandomGenerator random,
    int snapshotEvery,
    Duration passivateTerminalAfter) {}
