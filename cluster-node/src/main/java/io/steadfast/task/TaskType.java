package io.steadfast.task;

import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.RetryPolicy;

/** A task type as configured: the handler that runs it and how its attempts are retried. */
public record TaskType(String name, TaskHandler handler, RetryPolicy retryPolicy, long attemptTimeoutMs) {}
