package io.steadfast.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What became of one task of a batch submission.
 *
 * @param index the task's position in the request's {@code tasks}
 * @param status what {@code POST /api/v1/tasks} would have answered for it alone: 202 accepted,
 *     200 submitted before with this idempotency key, 409, 429 or 503
 * @param task the task, when it is in the journal (202, 200); else null
 * @param error why there is no task (409, 429, 503); else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BatchItemResult(int index, int status, TaskView task, ApiError error) {}
