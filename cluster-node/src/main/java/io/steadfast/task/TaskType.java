package io.steadfast.task;

import io.steadfast.breaker.BreakerSettings;
import io.steadfast.execution.ErrorClassifier;
import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.ratelimit.RateLimit;

/**
 * A task type as configured: the handler that runs it, how its attempts are retried and
 * classified, and its bulkhead on each node.
 *
 * @param concurrency attempts of this type running at once on one node
 * @param maxQueue attempts of this type waiting for a slot on one node before newcomers are
 *     turned away (and try again a little later)
 * @param deadLettersKept how many of this type's dead letters the queue keeps (oldest go first)
 * @param breaker the settings of this type's circuit breaker
 * @param rateLimit attempts of this type the whole cluster starts per period; null for no limit
 */
public record TaskType(
    String name,
    TaskHandler handler,
    RetryPolicy retryPolicy,
    long attemptTimeoutMs,
    ErrorClassifier classifier,
    int concurrency,
    int maxQueue,
    int deadLettersKept,
    BreakerSettings breaker,
    RateLimit rateLimit) {}
