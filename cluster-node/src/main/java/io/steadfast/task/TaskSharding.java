package io.steadfast.task;

import io.steadfast.storage.WakeIndex;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * Where tasks live in the cluster: their shard region, the one function that places a task id
 * on a shard, and what the wake-up index ({@link WakeIndex}) keeps of them, so that sharding, the
 * index and {@link TaskIds} agree on every task's shard.
 */
public final class TaskSharding {
  private TaskSharding() {}

  /**
   * The events after which a task must be running somewhere until it ends: it was submitted, or
   * redriven out of the dead-letter queue.
   */
  static final List<Class<? extends TaskEntity.Event>> OPENING =
      List.of(TaskEntity.Submitted.class, TaskEntity.Redriven.class);

  /**
   * The events after which a task never runs again unless redriven: it succeeded, was cancelled,
   * or its dead letter is filed. {@link TaskEntity.DeadLettered} is not one of them: until the queue has
   * the entry, the task stays open and files it again when it starts (TaskWakeIndexTest checks this
   * list against TaskLifecycle).
   */
  static final List<Class<? extends TaskEntity.Event>> CLOSING =
      List.of(TaskEntity.AttemptSucceeded.class, TaskEntity.Cancelled.class, TaskEntity.DeadLetterFiled.class);

  /**
   * Starts this node's task shard region; the returned region takes {@code StartEntity} from the
   * waker.
   *
   * <p>Tasks are not remembered by sharding (schedules and workflows still are: the global setting
   * stays on): remembering cost each task two more journal rows and a store actor's traffic, about
   * 14 % of the cluster's CPU per task. The wake-up index, kept by the journal's DAO in the same
   * transaction as the events, does the same job: {@link TaskWaker} starts a shard's open tasks
   * when a node starts hosting it.
   *
   * <p>Without remember-entities, sharding would passivate an entity idle for 2 minutes: an
   * unfinished task whose backoff, deferral or rate-limit wait lives in its timers would stop, and
   * nothing would wake it before its shard moved. So sharding never passivates a task; a terminal
   * one passivates itself ({@code passivate-terminal-after}).
   */
  public static ActorRef<ShardingEnvelope<TaskEntity.Command>> init(ActorSystem<?> system, TaskRuntime runtime) {
    ClusterShardingSettings settings = shardingSettings(system);
    // One extractor for sharding and the index, so that an entry's shard is the shard its task runs in.
    HashCodeMessageExtractor<TaskEntity.Command> extractor = messageExtractor(system);
    WakeIndex.get(system).register(wakeIndex(extractor));
    return ClusterSharding.get(system)
        .init(
            Entity.of(TaskEntity.ENTITY_KEY,
                    entity -> TaskEntity.create(entity.getEntityId(), runtime, entity.getShard()))
                .withSettings(settings)
                .withMessageExtractor(extractor)
                .withStopMessage(TaskEntity.HandOff.INSTANCE));
  }

  static ClusterShardingSettings shardingSettings(ActorSystem<?> system) {
    return ClusterShardingSettings.create(system).withRememberEntities(false).withNoPassivationStrategy();
  }

  /** What the wake-up index keeps of tasks, with shards counted as {@code number-of-shards} says. */
  public static WakeIndex.Registration wakeIndex(int numberOfShards) {
    return wakeIndex(new HashCodeMessageExtractor<>(numberOfShards));
  }

  static WakeIndex.Registration wakeIndex(ShardingMessageExtractor<?, ?> extractor) {
    String prefix = persistenceIdPrefix();
    return new WakeIndex.Registration(
        prefix,
        manifests(OPENING),
        manifests(CLOSING),
        persistenceId -> Integer.parseInt(extractor.shardId(persistenceId.substring(prefix.length()))));
  }

  /** {@code Task|}: a task's persistence id is this and its id. */
  static String persistenceIdPrefix() {
    return TaskEntity.ENTITY_KEY.name() + PersistenceId.DefaultSeparator();
  }

  /** Events are serialized by Jackson (CborSerializable), whose manifest is the class name. */
  private static Set<String> manifests(List<Class<? extends TaskEntity.Event>> events) {
    return events.stream().map(Class::getName).collect(Collectors.toUnmodifiableSet());
  }

  /**
   * How sharding places tasks: by the hash of the task id over {@code
   * pekko.cluster.sharding.number-of-shards} shards. One function for sharding, the wake-up index
   * and {@link TaskIds}, so that all three agree on a task's shard.
   */
  static HashCodeMessageExtractor<TaskEntity.Command> messageExtractor(ActorSystem<?> system) {
    return new HashCodeMessageExtractor<>(shardingSettings(system).numberOfShards());
  }
}
