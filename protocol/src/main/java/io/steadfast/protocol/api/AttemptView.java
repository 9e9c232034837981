package io.steadfast.protocol.api;

import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.TaskError;

/**
 * One attempt of a task.
 *
 * @param node the remoting address ({@code host:port}) of the node that ran it
 * @param endedAt null while the attempt runs
 * @param outcome null while the attempt runs
 * @param counted whether it counts against the task's maxAttempts (a rate-limited one does not)
 */
public record AttemptView(
    int attempt, String node, String startedAt, String endedAt, AttemptOutcome outcome, TaskError error,
    boolean counted)
    implements CborSerializable {}
