package io.steadfast.protocol.api;

import java.util.List;

/** A page of workflows, newest first; {@code nextCursor} is null on the last page. */
public record WorkflowPage(List<WorkflowSummary> workflows, String nextCursor) {}
