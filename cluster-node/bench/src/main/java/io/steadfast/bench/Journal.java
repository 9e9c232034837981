package io.steadfast.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scenario {@code resources}, its journal half: how many journal rows a noop task costs, read
 * from the cluster's database server (H2 or PostgreSQL) over JDBC. A fresh batch of noop tasks runs, and the rows are counted
 * before, once all succeeded, and once they have passivated (a terminal task leaves memory
 * {@code steadfast.task.passivate-terminal-after} after its last read): the task's own rows
 * ({@code Task|<id>}) and, apart, the rows of every other persistence id written meanwhile
 * (sharding's coordinator and remembered schedules and workflows, breakers; tasks are no longer
 * remembered by sharding).
 */
final class Journal {
  private Journal() {}

  /** Rows per persistence-id kind: "task", "breaker", "dead letters", or the id itself with digits dropped. */
  static Map<String, Long> rowsByKind(Connection db) throws SQLException {
    Map<String, Long> rows = new TreeMap<>();
    try (PreparedStatement query = db.prepareStatement(
            "SELECT \"persistence_id\", COUNT(*) FROM \"event_journal\" GROUP BY \"persistence_id\"");
        ResultSet result = query.executeQuery()) {
      while (result.next()) rows.merge(kind(result.getString(1)), result.getLong(2), Long::sum);
    }
    return rows;
  }

  private static String kind(String persistenceId) {
    if (persistenceId.startsWith("Task|")) return "task";
    if (persistenceId.startsWith("CircuitBreaker|")) return "breaker";
    // Sharding's ids carry shard numbers; keep the shape (e.g. /sharding/TaskShard-#) only.
    return persistenceId.replaceAll("[0-9]+", "#");
  }

  /** Rows of the tasks {@code ids}, per event manifest (the event's class). */
  static Map<String, Long> taskRowsByEvent(Connection db, List<String> ids) throws SQLException {
    return rowsByEvent(db, ids.stream().map(id -> "Task|" + id).toList());
  }

  /** Rows of the entities {@code persistenceIds} ({@code Task|id}, {@code Workflow|id}), per event manifest. */
  static Map<String, Long> rowsByEvent(Connection db, List<String> persistenceIds) throws SQLException {
    Map<String, Long> rows = new TreeMap<>();
    try (PreparedStatement query = db.prepareStatement(
        "SELECT \"event_ser_manifest\", COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ANY(?)"
            + " GROUP BY \"event_ser_manifest\"")) {
      query.setObject(1, persistenceIds.toArray(String[]::new));
      try (ResultSet result = query.executeQuery()) {
        while (result.next()) {
          String manifest = result.getString(1);
          rows.merge(manifest.substring(manifest.lastIndexOf('$') + 1), result.getLong(2), Long::sum);
        }
      }
    }
    return rows;
  }

  /** The journal of the cluster scripts/cluster.sh runs with {@code portOffset} on store {@code db} (h2, postgres). */
  static Connection connect(int portOffset, String db) throws SQLException {
    return switch (db) {
      case "h2" -> DriverManager.getConnection(
          "jdbc:h2:tcp://127.0.0.1:" + (9092 + portOffset) + "/steadfast;DATABASE_TO_UPPER=false", "sa", "");
      case "postgres" -> DriverManager.getConnection(
          "jdbc:postgresql://127.0.0.1:" + (5432 + portOffset) + "/steadfast", "steadfast", "");
      default -> throw new IllegalArgumentException("--db must be h2 or postgres, not '" + db + "'");
    };
  }

  /** Rows other than the tasks', summed. */
  static long otherRows(Map<String, Long> byKind) {
    return byKind.entrySet().stream().filter(e -> !e.getKey().equals("task")).mapToLong(Map.Entry::getValue).sum();
  }

  /** Waits until no row outside the tasks' is added for {@code quiet}, at most {@code bound}. */
  static Map<String, Long> settled(Connection db, Duration quiet, Duration bound) throws Exception {
    long deadline = System.nanoTime() + bound.toNanos();
    Map<String, Long> last = rowsByKind(db);
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      Map<String, Long> now = rowsByKind(db);
      if (otherRows(now) != otherRows(last)) stableSince = System.nanoTime();
      last = now;
      if (System.nanoTime() - stableSince >= quiet.toNanos()) break;
    }
    return last;
  }

  static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
    Map<String, Long> delta = new HashMap<>();
    after.forEach((kind, n) -> {
      long d = n - before.getOrDefault(kind, 0L);
      if (d != 0) delta.put(kind, d);
    });
    return new TreeMap<>(delta);
  }
}
