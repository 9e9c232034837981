package io.steadfast.stats;

import io.steadfast.storage.DatabaseKind;
import io.steadfast.task.TaskEntity;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;

/**
 * Keeps the read side (stats, task listing) from the journal: one projection per tag slice of
 * the task events, run by a sharded daemon process so each slice runs on exactly one node and
 * moves when that node dies. Figures come from durable data, never from one node's memory.
 */
public final class TaskSummaryProjection {
  static final String NAME = "task-summaries";
  /** Events per read-side transaction, and how long a small group may wait. */
  private static final int GROUP_SIZE = 200;
  private static final Duration GROUP_WITHIN = Duration.ofMillis(250);

  private TaskSummaryProjection() {}

  /** Its tables, the offsets' included, are created with the journal's (storage/*-schema.sql). */
  public static void init(ActorSystem<?> system, DataSource dataSource) {
    List<String> tags = IntStream.range(0, TaskEntity.TAG_SLICES).mapToObj(TaskEntity::tag).toList();
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            tags.size(),
            index -> ProjectionBehavior.create(projection(system, dataSource, tags.get(index))),
            ShardedDaemonProcessSettings.create(system),
            Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static GroupedProjection<Offset, EventEnvelope<TaskEntity.Event>> projection(
      ActorSystem<?> system, DataSource dataSource, String tag) {
    DatabaseKind store = DatabaseKind.of(system.settings().config());
    return JdbcProjection.groupedWithin(
            ProjectionId.of(NAME, tag),
            EventSourcedProvider.<TaskEntity.Event>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
            () -> new ReadSideSession(dataSource),
            () -> new TaskSummaryHandler(tag, store),
            system)
        .withGroup(GROUP_SIZE, GROUP_WITHIN);
  }
}
