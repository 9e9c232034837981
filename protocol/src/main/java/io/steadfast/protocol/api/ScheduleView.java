package io.steadfast.protocol.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.RetryPolicy;
import java.util.List;

/**
 * A schedule as the API shows it.
 *
 * @param status ACTIVE, PAUSED or DELETED
 * @param nextFireTimes the next ticks (none while paused)
 * @param lastTick the last tick the schedule dealt with (fired or skipped), or null
 * @param fired tasks submitted, manual triggers included
 * @param skipped ticks skipped (overlap, or missed and not caught up)
 * @param recentRuns the latest runs, newest last
 * @param hostedBy the node the schedule runs on
 */
public record ScheduleView(
    String id,
    String cron,
    String timeZone,
    Task task,
    String overlap,
    String catchUp,
    String status,
    String createdAt,
    String updatedAt,
    List<String> nextFireTimes,
    String lastTick,
    long fired,
    long skipped,
    List<Run> recentRuns,
    String hostedBy) {

  /** What each tick submits. */
  public record Task(String type, JsonNode payload, int priority, RetryPolicy retryPolicy, long attemptTimeoutMs) {}

  /**
   * @param tick the tick it ran for (for a manual trigger, when it was asked for)
   * @param kind SCHEDULED, CATCH_UP (stands for ticks missed while the cluster was down) or MANUAL
   */
  public record Run(String tick, String taskId, String firedAt, String kind) {}
}
