package io.steadfast.schedule;

import io.steadfast.protocol.api.ScheduleView;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/** This node's side of the schedules: starts their sharding, and lists them. */
public final class Schedules {
  private final ActorSystem<?> system;
  private final Duration askTimeout;

  private Schedules(ActorSystem<?> system, Duration askTimeout) {
    this.system = system;
    this.askTimeout = askTimeout;
  }

  /** @param onTimeWindow see {@link ScheduleRuntime#onTimeWindow} */
  public static Schedules start(ActorSystem<?> system, Duration onTimeWindow, String nodeName, Duration askTimeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    ScheduleRuntime.Tasks tasks = new ScheduleRuntime.Tasks() {
      @Override
      public CompletionStage<TaskEntity.SubmitReply> submit(String taskId, TaskSpec spec) {
        return sharding.entityRefFor(TaskEntity.ENTITY_KEY, taskId)
            .ask(replyTo -> new TaskEntity.Submit(spec, replyTo), askTimeout);
      }

      @Override
      public CompletionStage<TaskEntity.GetReply> get(String taskId) {
        return sharding.entityRefFor(TaskEntity.ENTITY_KEY, taskId).ask(TaskEntity.Get::new, askTimeout);
      }
    };
    ScheduleEntity.init(system, new ScheduleRuntime(tasks, Clock.systemUTC(), onTimeWindow, nodeName));
    return new Schedules(system, askTimeout);
  }

  /**
   * Every schedule, in the order created: the ids from the journal's creations and deletions
   * (tagged, a handful of events per schedule), then each schedule's view from the schedule.
   */
  public CompletionStage<List<ScheduleView>> list() {
    JdbcReadJournal journal =
        PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    CompletionStage<LinkedHashSet<String>> ids = journal
        .currentEventsByTag(ScheduleEntity.LIFECYCLE_TAG, Offset.noOffset())
        .runWith(Sink.fold(new LinkedHashSet<String>(), Schedules::follow), system);
    return ids.thenCompose(known -> {
      List<CompletableFuture<ScheduleEntity.Reply>> replies = new ArrayList<>();
      for (String id : known) {
        replies.add(ScheduleEntity.ref(system, id).<ScheduleEntity.Reply>ask(ScheduleEntity.Get::new, askTimeout)
            .toCompletableFuture());
      }
      return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
          .thenApply(done -> replies.stream()
              .map(CompletableFuture::join)
              .filter(reply -> reply instanceof ScheduleEntity.Found)
              .map(reply -> ((ScheduleEntity.Found) reply).schedule())
              .toList());
    });
  }

  private static LinkedHashSet<String> follow(LinkedHashSet<String> ids, EventEnvelope envelope) {
    String id = envelope.persistenceId().substring(ScheduleEntity.ENTITY_KEY.name().length() + 1);
    if (envelope.event() instanceof ScheduleEntity.ScheduleDeleted) ids.remove(id);
    else ids.add(id);
    return ids;
  }
}
