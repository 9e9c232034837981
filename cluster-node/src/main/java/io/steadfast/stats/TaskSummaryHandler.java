package io.steadfast.stats;

import io.steadfast.task.TaskEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
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
 * <p>It also prunes the slice's tag rows it has consumed. The tag table is only the index that
 * {@code eventsByTag} reads, and H2 runs that query in time proportional to the tag's rows, not
 * to the page asked for: unpruned, every poll grows slower with the journal's history and soon
 * costs the database more than the tasks themselves. The events stay in the journal.
 */
final class TaskSummaryHandler extends JdbcHandler<List<EventEnvelope<TaskEntity.Event>>, ReadSideSession> {
  private final String slice;

  TaskSummaryHandler(String slice) {
    this.slice = slice;
  }

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<TaskEntity.Event>> envelopes) throws Exception {
    session.withConnection(connection -> {
      Map<String, Long> counts = new TreeMap<>();
      Map<String, String> types = new HashMap<>();
      for (EventEnvelope<TaskEntity.Event> envelope : envelopes) {
        String taskId = envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1);
        if (envelope.event() instanceof TaskEntity.Submitted submitted) types.put(taskId, submitted.spec().type());
        String type = types.computeIfAbsent(taskId, id -> typeOf(connection, id));
        apply(connection, taskId, type, envelope.event(), counts);
      }
      addCounts(connection, counts);
      if (!envelopes.isEmpty()) pruneTagRows(connection, envelopes.get(envelopes.size() - 1));
      return null;
    });
  }

  /** Updates the summary row and tallies what to count ({@code type + "\n" + name} → delta). */
  private static void apply(
      Connection c, String taskId, String type, TaskEntity.Event event, Map<String, Long> counts)
      throws SQLException {
    if (event instanceof TaskEntity.Submitted e) {
      update(c, "MERGE INTO \"task_summary\" (\"task_id\", \"type\", \"status\", \"priority\", "
          + "\"attempts\", \"created_at\", \"updated_at\") KEY(\"task_id\") VALUES (?, ?, 'PENDING', ?, 0, ?, ?)",
          taskId, e.spec().type(), e.spec().priority(), millis(e.at()), millis(e.at()));
      count(counts, type, "submitted");
    } else if (event instanceof TaskEntity.AttemptStarted e) {
      update(c, "UPDATE \"task_summary\" SET \"status\" = 'RUNNING', \"attempts\" = ?, \"updated_at\" = ?, "
          + "\"first_attempt_at\" = COALESCE(\"first_attempt_at\", ?) WHERE \"task_id\" = ?",
          e.attempt(), millis(e.at()), millis(e.at()), taskId);
      count(counts, type, "attempts");
    } else if (event instanceof TaskEntity.AttemptSucceeded e) {
      end(c, taskId, "SUCCEEDED", e.at());
      count(counts, type, "succeeded");
    } else if (event instanceof TaskEntity.AttemptFailed e) {
      setStatus(c, taskId, "RETRY_WAIT", e.at());
      count(counts, type, "failedAttempts");
      count(counts, type, "error:" + e.error().type());
      if (e.nextAttemptAt() != null) count(counts, type, "retried");
    } else if (event instanceof TaskEntity.Deferred e) {
      setStatus(c, taskId, "DEFERRED", e.at());
      count(counts, type, "deferred");
    } else if (event instanceof TaskEntity.DeadLettered e) {
      end(c, taskId, "DEAD_LETTERED", e.at());
      count(counts, type, "deadLettered");
    } else if (event instanceof TaskEntity.Cancelled e) {
      end(c, taskId, "CANCELLED", e.at());
      count(counts, type, "cancelled");
    } else if (event instanceof TaskEntity.Redriven e) {
      update(c, "UPDATE \"task_summary\" SET \"status\" = 'PENDING', \"ended_at\" = NULL, \"updated_at\" = ? "
          + "WHERE \"task_id\" = ?", millis(e.at()), taskId);
      count(counts, type, "redriven");
    }
    // Checkpoints, cancellation requests and dead-letter filings change nothing shown here.
  }

  private static void end(Connection c, String taskId, String status, Instant at) throws SQLException {
    update(c, "UPDATE \"task_summary\" SET \"status\" = ?, \"updated_at\" = ?, \"ended_at\" = ? WHERE \"task_id\" = ?",
        status, millis(at), millis(at), taskId);
  }

  private static void setStatus(Connection c, String taskId, String status, Instant at) throws SQLException {
    update(c, "UPDATE \"task_summary\" SET \"status\" = ?, \"updated_at\" = ? WHERE \"task_id\" = ?",
        status, millis(at), taskId);
  }

  private static void count(Map<String, Long> counts, String type, String name) {
    counts.merge(type + "\n" + name, 1L, Long::sum);
  }

  /** A task's type, from its row (for events of a task submitted in an earlier group). */
  private static String typeOf(Connection c, String taskId) {
    try (PreparedStatement select = c.prepareStatement("SELECT \"type\" FROM \"task_summary\" WHERE \"task_id\" = ?")) {
      select.setString(1, taskId);
      try (var rows = select.executeQuery()) {
        return rows.next() ? rows.getString(1) : "unknown";
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the type of task " + taskId, e);
    }
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
      for (int i = 0; i < values.length; i++) statement.setObject(i + 1, values[i]);
      return statement.executeUpdate();
    }
  }

  private static long millis(Instant at) {
    return at.toEpochMilli();
  }
}
