package io.steadfast.protocol.api;

import java.util.List;

/**
 * The answer to {@code POST /api/v1/tasks/batch}: one result per task, in the request's order.
 *
 * @param accepted tasks newly in the journal (202)
 * @param alreadySubmitted tasks submitted before with the same idempotency key (200)
 * @param refused tasks not taken: conflicts (409), overload (429), no answer in time (503)
 */
public record BatchSubmitResult(int accepted, int alreadySubmitted, int refused, List<BatchItemResult> results) {}
