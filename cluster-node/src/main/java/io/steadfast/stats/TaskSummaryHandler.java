package io.steadfast.stats;

import io.steadfast.storage.DatabaseKind;
import io.steadfast.task.TaskEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.sql.ResultSet;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Folds task events into the read side: one {@code task_summary} row per task and running totals
 * per type in {@code task_counter}. Runs in the projection's transaction, together with its
 * offset, so each event counts exactly once even across crashes.
 *
 * <p>A group's events are folded per task ({@link SummaryChange}) and written with one batched
 * statement per kind (new rows, changed rows, types to look up): against H2 over TCP every
 * statement is a round trip, and a {@code noop} task's three events would otherwise cost three
 * statements, plus one to look up its type.
 *
 * <p>It also prunes the slice's tag rows it has consumed. The tag table is only the index that
 * {@code eventsByTag} reads, and H2 runs that query in time proportional to the tag's rows, not
 * to the page asked for: unpruned, every poll grows slower with the journal's history and soon
 * costs the database more than the tasks themselves. The events stay in the journal.
 */
final class TaskSummaryHandler extends JdbcHandler<List<EventEnvelope<TaskEntity.Event>>, ReadSideSession> {
  private final String slice;
  private final String upsertSummary;

  TaskSummaryHandler(String slice, DatabaseKind store) {
    this.slice = slice;
    this.upsertSummary = ReadSideSql.upsertSummary(store);
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<TaskEntity.Event>> envelopes) throws Exception {
    session.withConnection(connection -> {
      Map<String, SummaryChange> changes = new LinkedHashMap<>();
      for (EventEnvelope<TaskEntity.Event> envelope : envelopes) {
        String taskId = envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1);
        changes.computeIfAbsent(taskId, SummaryChange::new).apply(envelope.event());
      }
      createRows(connection, changes.values());
      updateRows(connection, changes.values());
      addCounts(connection, counts(connection, changes.values()));
      if (!envelopes.isEmpty()) pruneTagRows(connection, envelopes.get(envelopes.size() - 1));
      return null;
    });
  }

  /** Rows of the tasks submitted in this group, already as the group's later events left them. */
  private void createRows(Connection c, Collection<SummaryChange> changes) throws SQLException {
    if (changes.stream().noneMatch(change -> change.submitted != null)) return;
    try (PreparedStatement merge = c.prepareStatement(upsertSummary)) {
      for (SummaryChange change : changes) {
        if (change.submitted == null) continue;
        bind(merge, change.taskId, change.submitted.spec().type(), change.status, change.submitted.spec().priority(),
            change.attempts == null ? 0 : change.attempts, millis(change.submitted.at()), millis(change.updatedAt),
            millis(change.firstAttemptAt), millis(change.endedAt));
        merge.addBatch();
      }
      merge.executeBatch();
    }
  }

  /** Rows of tasks submitted in an earlier group: only what this group changed. */
  private static void updateRows(Connection c, Collection<SummaryChange> changes) throws SQLException {
    List<SummaryChange> updates =
        changes.stream().filter(change -> change.submitted == null && change.changesRow()).toList();
    if (updates.isEmpty()) return;
    try (PreparedStatement update = c.prepareStatement(
        "UPDATE \"task_summary\" SET \"status\" = ?, \"updated_at\" = ?, "
            + "\"attempts\" = COALESCE(CAST(? AS INTEGER), \"attempts\"), "
            + "\"first_attempt_at\" = COALESCE(\"first_attempt_at\", CAST(? AS BIGINT)), "
            + "\"ended_at\" = CASE WHEN CAST(? AS BOOLEAN) THEN CAST(? AS BIGINT) ELSE \"ended_at\" END "
            + "WHERE \"task_id\" = ?")) {
      for (SummaryChange change : updates) {
        bind(update, change.status, millis(change.updatedAt), change.attempts, millis(change.firstAttemptAt),
            change.endedAtChanged, millis(change.endedAt), change.taskId);
        update.addBatch();
      }
      update.executeBatch();
    }
  }

  /** The group's counts by {@code type + "\n" + name}; types of earlier submissions are read in one query. */
  private static Map<String, Long> counts(Connection c, Collection<SummaryChange> changes) throws SQLException {
    List<String> unknownTypes = changes.stream()
        .filter(change -> change.submitted == null && !change.counts.isEmpty())
        .map(change -> change.taskId)
        .toList();
    Map<String, String> types = typesOf(c, unknownTypes);
    Map<String, Long> counts = new TreeMap<>();
    for (SummaryChange change : changes) {
      String type = change.submitted != null
          ? change.submitted.spec().type()
          : types.getOrDefault(change.taskId, "unknown");
      change.counts.forEach((name, delta) -> counts.merge(type + "\n" + name, delta, Long::sum));
    }
    return counts;
  }

  private static Map<String, String> typesOf(Connection c, List<String> taskIds) throws SQLException {
    Map<String, String> types = new HashMap<>();
    if (taskIds.isEmpty()) return types;
    String placeholders = String.join(", ", Collections.nCopies(taskIds.size(), "?"));
    try (PreparedStatement select = c.prepareStatement(
        "SELECT \"task_id\", \"type\" FROM \"task_summary\" WHERE \"task_id\" IN (" + placeholders + ")")) {
      bind(select, taskIds.toArray());
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) types.put(rows.getString(1), rows.getString(2));
      }
    }
    return types;
  }

  private void addCounts(Connection c, Map<String, Long> counts) throws SQLException {
    for (Map.Entry<String, Long> count : counts.entrySet()) {
      String[] key = count.getKey().split("\n", 2);
      int updated = update(c, "UPDATE \"task_counter\" SET \"value\" = \"value\" + ? "
          + "WHERE \"slice\" = ? AND \"type\" = ? AND \"name\" = ?", count.getValue(), slice, key[0], key[1]);
      if (updated == 0) {
        update(c, "INSERT INTO \"task_counter\" (\"slice\", \"type\", \"name\", \"value\") VALUES (?, ?, ?, ?)",
            slice, key[0], key[1], count.getValue());
      }
    }
  }

  /** In the offset's transaction: a rolled-back group keeps its rows to be read again. */
  private void pruneTagRows(Connection c, EventEnvelope<TaskEntity.Event> last) throws SQLException {
    if (last.offset() instanceof Sequence sequence) {
      update(c, "DELETE FROM \"event_tag\" WHERE \"tag\" = ? AND \"event_id\" <= ?", slice, sequence.value());
    }
  }

  private static int update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement statement = c.prepareStatement(sql)) {
      bind(statement, values);
      return statement.executeUpdate();
    }
  }

  private static void bind(PreparedStatement statement, Object... values) throws SQLException {
    for (int i = 0; i < values.length; i++) statement.setObject(i + 1, values[i]);
  }

  private static Long millis(Instant at) {
    return at == null ? null : at.toEpochMilli();
  }
}
