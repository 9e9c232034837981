package io.steadfast.stats;

import io.steadfast.workflow.WorkflowEntity;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * Keeps the workflow listing and counts from the journal: one projection of the workflow tag,
 * run on exactly one node by a sharded daemon process (it moves when that node dies). Workflows
 * write a few events each, far fewer than their steps' tasks, so one slice keeps up.
 */
final class WorkflowSummaryProjection {
  static final String NAME = "workflow-summaries";

  private WorkflowSummaryProjection() {}

  static void init(ActorSystem<?> system, DataSource dataSource) {
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            1,
            index -> ProjectionBehavior.create(JdbcProjection.exactlyOnce(
                ProjectionId.of(NAME, WorkflowEntity.TAG),
                EventSourcedProvider.<WorkflowEntity.Event>eventsByTag(
                    system, JdbcReadJournal.Identifier(), WorkflowEntity.TAG),
                () -> new ReadSideSession(dataSource),
                WorkflowSummaryHandler::new,
                system)),
            ShardedDaemonProcessSettings.create(system),
            Optional.of(ProjectionBehavior.stopMessage()));
  }
}
