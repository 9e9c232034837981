package io.steadfast.stats;

import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.workflow.WorkflowEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Folds workflow events into {@code workflow_summary}, one row per workflow, in the projection's
 * transaction with its offset (each event counts exactly once). The status is the one the
 * workflow recorded ({@link WorkflowEntity.StatusChanged}); a step succeeds once, so counting
 * its {@code StepEnded} is exact. Consumed tag rows are pruned, as for tasks.
 */
final class WorkflowSummaryHandler extends JdbcHandler<EventEnvelope<WorkflowEntity.Event>, ReadSideSession> {

  @Override
  public void process(ReadSideSession session, EventEnvelope<WorkflowEntity.Event> envelope) throws Exception {
    String id = envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1);
    session.withConnection(c -> {
      WorkflowEntity.Event event = envelope.event();
      if (event instanceof WorkflowEntity.WorkflowSubmitted e) {
        update(c, "INSERT INTO \"workflow_summary\" (\"workflow_id\", \"name\", \"status\", \"steps\", "
                + "\"steps_succeeded\", \"created_at\", \"updated_at\") VALUES (?, ?, ?, ?, 0, ?, ?)",
            id, e.spec().name(), WorkflowStatus.RUNNING.name(), e.spec().steps().size(), e.at().toEpochMilli(),
            e.at().toEpochMilli());
      } else if (event instanceof WorkflowEntity.StepEnded e && e.status() == TaskStatus.SUCCEEDED) {
        update(c, "UPDATE \"workflow_summary\" SET \"steps_succeeded\" = \"steps_succeeded\" + 1, \"updated_at\" = ? "
            + "WHERE \"workflow_id\" = ?", e.at().toEpochMilli(), id);
      } else if (event instanceof WorkflowEntity.StatusChanged e) {
        update(c, "UPDATE \"workflow_summary\" SET \"status\" = ?, \"updated_at\" = ? WHERE \"workflow_id\" = ?",
            e.status().name(), e.at().toEpochMilli(), id);
      }
      if (envelope.offset() instanceof Sequence sequence) {
        update(c, "DELETE FROM \"event_tag\" WHERE \"tag\" = ? AND \"event_id\" <= ?", WorkflowEntity.TAG,
            sequence.value());
      }
      return null;
    });
  }

  private static void update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement statement = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) statement.setObject(i + 1, values[i]);
      statement.executeUpdate();
    }
  }
}
