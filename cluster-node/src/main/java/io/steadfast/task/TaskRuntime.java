package io.steadfast.task;

import io.steadfast.execution.AttemptRunner;
import java.time.Clock;
import java.time.Duration;

/**
 * What a task entity needs from its node: the configured types, where handlers run, the node's
 * name for the attempt history, and time (injected so tests control it).
 *
 * @param nodeName the remoting address {@code host:port} recorded on every attempt
 */
public record TaskRuntime(
    TaskTypes types,
    AttemptRunner runner,
    String nodeName,
    Clock clock,
    int snapshotEvery,
    Duration passivateTerminalAfter) {}
