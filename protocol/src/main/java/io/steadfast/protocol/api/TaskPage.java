package io.steadfast.protocol.api;

import java.util.List;

/**
 * One page of tasks, newest first.
 *
 * @param nextCursor pass as {@code after} for the next page; null on the last page
 */
public record TaskPage(List<TaskSummary> tasks, String nextCursor) {}
