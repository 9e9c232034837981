package io.steadfast.stats;

import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.protocol.api.WorkflowPage;
import io.steadfast.protocol.api.WorkflowSummary;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.StatsView;
import io.steadfast.protocol.api.TaskPage;
import io.steadfast.protocol.api.TaskSummary;
import io.steadfast.protocol.api.ThroughputView;
import io.steadfast.task.TaskEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/** What the API reads from the read side: task and workflow pages, and the cluster's figures. */
public final class ReadSideQueries {
  /** The totals every stats answer carries, zero when nothing happened yet. */
  static final List<String> TOTALS =
      List.of("submitted", "attempts", "succeeded", "failedAttempts", "retried", "deadLettered", "cancelled",
          "deferred", "rateLimited", "redriven");

  private final DataSource dataSource;
  private final Executor executor;
  private final Clock clock;

  ReadSideQueries(DataSource dataSource, Executor executor, Clock clock) {
    this.dataSource = dataSource;
    this.executor = executor;
    this.clock = clock;
  }

  /** A page cursor: the last row's creation time and id (a task's or a workflow's), the listing's sort key. */
  public record Cursor(long createdAt, String taskId) {
    public static Cursor parse(String text) {
      int colon = text.indexOf(':');
      if (colon < 1) throw new IllegalArgumentException("not a cursor: " + text);
      return new Cursor(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
    }

    @Override
    public String toString() {
      return createdAt + ":" + taskId;
    }
  }

  /**
   * Newest first, keyset-paged: each page starts from the last row's sort key, so a page deep in
   * a long history costs what the first one does.
   */
  public CompletionStage<TaskPage> tasks(TaskFilter filter, int limit, Cursor after) {
    return query(c -> {
      StringBuilder sql = new StringBuilder(
          "SELECT \"task_id\", \"type\", \"status\", \"priority\", \"attempts\", \"created_at\", \"updated_at\""
              + " FROM \"task_summary\" WHERE 1 = 1");
      List<Object> values = new ArrayList<>();
      if (filter.status() != null) {
        sql.append(" AND \"status\" = ?");
        values.add(filter.status().name());
      }
      if (filter.type() != null) {
        sql.append(" AND \"type\" = ?");
        values.add(filter.type());
      }
      if (filter.createdFrom() != null) {
        sql.append(" AND \"created_at\" >= ?");
        values.add(filter.createdFrom());
      }
      if (filter.createdBefore() != null) {
        sql.append(" AND \"created_at\" < ?");
        values.add(filter.createdBefore());
      }
      if (filter.taskId() != null) {
        sql.append(" AND \"task_id\" = ?");
        values.add(filter.taskId());
      }
      if (after != null) {
        sql.append(" AND (\"created_at\" < ? OR (\"created_at\" = ? AND \"task_id\" < ?))");
        values.add(after.createdAt());
        values.add(after.createdAt());
        values.add(after.taskId());
      }
      sql.append(" ORDER BY \"created_at\" DESC, \"task_id\" DESC LIMIT ?");
      values.add(limit + 1);
      List<TaskSummary> tasks = new ArrayList<>();
      List<Cursor> cursors = new ArrayList<>();
      try (PreparedStatement statement = prepare(c, sql.toString(), values); ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          tasks.add(new TaskSummary(rows.getString(1), rows.getString(2), TaskStatus.valueOf(rows.getString(3)),
              rows.getInt(4), rows.getInt(5), time(rows.getLong(6)), time(rows.getLong(7))));
          cursors.add(new Cursor(rows.getLong(6), rows.getString(1)));
        }
      }
      if (tasks.size() <= limit) return new TaskPage(tasks, null);
      return new TaskPage(tasks.subList(0, limit), cursors.get(limit - 1).toString());
    });
  }

  /**
   * Tasks ended per bucket of {@code bucket} over the last {@code window}, by how they ended;
   * every bucket present, oldest first. The bucket width goes into the statement as a literal
   * (it is a number the caller checked): PostgreSQL would not take {@code ended_at / ?} in both
   * the select list and the grouping.
   */
  public CompletionStage<ThroughputView> throughput(Duration window, Duration bucket) {
    long width = bucket.toMillis();
    long count = Math.max(1, window.toMillis() / width);
    return query(c -> {
      long last = clock.millis() / width;
      long first = last - count + 1;
      long[][] ended = new long[(int) count][3];
      try (PreparedStatement statement = prepare(c,
              "SELECT \"ended_at\" / " + width + ", \"status\", COUNT(*) FROM \"task_summary\""
                  + " WHERE \"ended_at\" >= ? GROUP BY \"ended_at\" / " + width + ", \"status\"",
              List.of(first * width));
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          long index = rows.getLong(1) - first;
          int outcome = List.of("SUCCEEDED", "DEAD_LETTERED", "CANCELLED").indexOf(rows.getString(2));
          if (index >= 0 && index < count && outcome >= 0) ended[(int) index][outcome] += rows.getLong(3);
        }
      }
      List<ThroughputView.Bucket> buckets = new ArrayList<>((int) count);
      for (int i = 0; i < count; i++) {
        buckets.add(new ThroughputView.Bucket(time((first + i) * width), ended[i][0], ended[i][1], ended[i][2]));
      }
      return new ThroughputView(width / 1000, buckets);
    });
  }


  /** Newest first; {@code status} and {@code name} may be null. */
  public CompletionStage<WorkflowPage> workflows(WorkflowStatus status, String name, int limit, Cursor after) {
    return query(c -> {
      StringBuilder sql = new StringBuilder(
          "SELECT \"workflow_id\", \"name\", \"status\", \"steps\", \"steps_succeeded\", \"created_at\", "
              + "\"updated_at\" FROM \"workflow_summary\" WHERE 1 = 1");
      List<Object> values = new ArrayList<>();
      if (status != null) {
        sql.append(" AND \"status\" = ?");
        values.add(status.name());
      }
      if (name != null) {
        sql.append(" AND \"name\" = ?");
        values.add(name);
      }
      if (after != null) {
        sql.append(" AND (\"created_at\" < ? OR (\"created_at\" = ? AND \"workflow_id\" < ?))");
        values.add(after.createdAt());
        values.add(after.createdAt());
        values.add(after.taskId());
      }
      sql.append(" ORDER BY \"created_at\" DESC, \"workflow_id\" DESC LIMIT ?");
      values.add(limit + 1);
      List<WorkflowSummary> workflows = new ArrayList<>();
      List<Cursor> cursors = new ArrayList<>();
      try (PreparedStatement statement = prepare(c, sql.toString(), values); ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          workflows.add(new WorkflowSummary(rows.getString(1), rows.getString(2),
              WorkflowStatus.valueOf(rows.getString(3)), rows.getInt(4), rows.getInt(5), time(rows.getLong(6)),
              time(rows.getLong(7))));
          cursors.add(new Cursor(rows.getLong(6), rows.getString(1)));
        }
      }
      if (workflows.size() <= limit) return new WorkflowPage(workflows, null);
      return new WorkflowPage(workflows.subList(0, limit), cursors.get(limit - 1).toString());
    });
  }

  /** Workflows per status, every status listed. */
  private static Map<String, Long> workflowsByStatus(Connection c) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (WorkflowStatus status : WorkflowStatus.values()) counts.put(status.name(), 0L);
    try (PreparedStatement statement =
            c.prepareStatement("SELECT \"status\", COUNT(*) FROM \"workflow_summary\" GROUP BY \"status\"");
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) counts.put(rows.getString(1), rows.getLong(2));
    }
    return counts;
  }

  /** Everything but the breakers and dead letters, which the caller asks their owners for. */
  public CompletionStage<StatsView> stats() {
    return query(c -> {
      Map<String, Map<String, Long>> countersByType = new TreeMap<>();
      try (PreparedStatement statement = c.prepareStatement(
              "SELECT \"type\", \"name\", SUM(\"value\") FROM \"task_counter\" GROUP BY \"type\", \"name\"");
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          countersByType.computeIfAbsent(rows.getString(1), t -> new TreeMap<>()).put(rows.getString(2), rows.getLong(3));
        }
      }
      Map<String, Map<String, Long>> statusByType = new TreeMap<>();
      try (PreparedStatement statement = c.prepareStatement(
              "SELECT \"type\", \"status\", COUNT(*) FROM \"task_summary\" GROUP BY \"type\", \"status\"");
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          statusByType.computeIfAbsent(rows.getString(1), t -> new TreeMap<>()).put(rows.getString(2), rows.getLong(3));
        }
      }
      Map<String, Long> totals = zeroTotals();
      Map<String, Long> errors = new TreeMap<>();
      Map<String, StatsView.TypeStats> byType = new TreeMap<>();
      for (String type : union(countersByType.keySet(), statusByType.keySet())) {
        Map<String, Long> typeTotals = zeroTotals();
        countersByType.getOrDefault(type, Map.of()).forEach((name, value) -> {
          if (name.startsWith("error:")) {
            errors.merge(name.substring("error:".length()), value, Long::sum);
          } else {
            typeTotals.merge(name, value, Long::sum);
            totals.merge(name, value, Long::sum);
          }
        });
        byType.put(type, new StatsView.TypeStats(typeTotals, statuses(statusByType.getOrDefault(type, Map.of()))));
      }
      Map<String, Long> byStatus = statuses(Map.of());
      statusByType.values().forEach(counts -> counts.forEach((status, n) -> byStatus.merge(status, n, Long::sum)));

      long now = clock.millis();
      Map<String, Double> throughput = new LinkedHashMap<>();
      throughput.put("lastMinutePerSecond", endedSince(c, now - 60_000) / 60.0);
      throughput.put("last5MinutesPerSecond", endedSince(c, now - 300_000) / 300.0);
      return new StatsView(totals, rates(totals), byStatus, byType, errors, throughput, null, null, lag(c, now),
          workflowsByStatus(c));
    });
  }

  private static Map<String, Double> rates(Map<String, Long> t) {
    long endedTasks = t.get("succeeded") + t.get("deadLettered") + t.get("cancelled");
    long endedAttempts = t.get("succeeded") + t.get("failedAttempts");
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("successPercent", percent(t.get("succeeded"), endedTasks));
    rates.put("failurePercent", percent(t.get("failedAttempts"), endedAttempts));
    rates.put("retryPercent", percent(t.get("retried"), endedAttempts));
    return rates;
  }

  private static double percent(long part, long whole) {
    return whole == 0 ? 0.0 : Math.round(part * 10_000.0 / whole) / 100.0;
  }

  private static long endedSince(Connection c, long since) throws SQLException {
    try (PreparedStatement statement =
            prepare(c, "SELECT COUNT(*) FROM \"task_summary\" WHERE \"ended_at\" >= ?", List.of(since));
        ResultSet rows = statement.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    }
  }

  /** Task events not yet projected, per slice from its stored offset, and the oldest one's age. */
  private static StatsView.ReadSideLag lag(Connection c, long now) throws SQLException {
    long events = 0;
    long oldest = Long.MAX_VALUE;
    for (int slice = 0; slice < TaskEntity.TAG_SLICES; slice++) {
      String tag = TaskEntity.tag(slice);
      long offset = 0;
      try (PreparedStatement statement = prepare(c,
              "SELECT \"current_offset\" FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?"
                  + " AND \"projection_key\" = ?", List.of(TaskSummaryProjection.NAME, tag));
          ResultSet rows = statement.executeQuery()) {
        if (rows.next()) offset = Long.parseLong(rows.getString(1));
      }
      try (PreparedStatement statement = prepare(c,
              "SELECT COUNT(*), MIN(j.\"write_timestamp\") FROM \"event_tag\" t JOIN \"event_journal\" j"
                  + " ON j.\"ordering\" = t.\"event_id\" WHERE t.\"tag\" = ? AND t.\"event_id\" > ?", List.of(tag, offset));
          ResultSet rows = statement.executeQuery()) {
        rows.next();
        events += rows.getLong(1);
        if (rows.getLong(1) > 0) oldest = Math.min(oldest, rows.getLong(2));
      }
    }
    return new StatsView.ReadSideLag(events, oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest));
  }

  private static Map<String, Long> zeroTotals() {
    Map<String, Long> totals = new LinkedHashMap<>();
    for (String name : TOTALS) totals.put(name, 0L);
    return totals;
  }

  /** Every status, zero where there is none, in the statuses' own order. */
  private static Map<String, Long> statuses(Map<String, Long> counts) {
    Map<String, Long> all = new LinkedHashMap<>();
    for (TaskStatus status : TaskStatus.values()) all.put(status.name(), counts.getOrDefault(status.name(), 0L));
    return all;
  }

  private static List<String> union(java.util.Set<String> a, java.util.Set<String> b) {
    java.util.TreeSet<String> all = new java.util.TreeSet<>(a);
    all.addAll(b);
    return new ArrayList<>(all);
  }

  private static PreparedStatement prepare(Connection c, String sql, List<?> values) throws SQLException {
    PreparedStatement statement = c.prepareStatement(sql);
    for (int i = 0; i < values.size(); i++) statement.setObject(i + 1, values.get(i));
    return statement;
  }

  private static String time(long millis) {
    return ApiTime.format(Instant.ofEpochMilli(millis));
  }

  @FunctionalInterface
  private interface Query<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> CompletionStage<T> query(Query<T> query) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection connection = dataSource.getConnection()) {
        return query.run(connection);
      } catch (SQLException e) {
        throw new IllegalStateException("read-side query failed: " + e.getMessage(), e);
      }
    }, executor);
  }
}
