package io.steadfast.task;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The task shards this node hosts, as its shard region last said, read without asking. The region
 * is asked again {@link #INTERVAL} after each answer, so that its queries (each asks every shard)
 * never pile up. A shard that has just moved is still listed for up to that long; a task placed on
 * it then only takes the way through another node, as any task did before.
 */
final class LocalTaskShards {
  static final Duration INTERVAL = Duration.ofSeconds(1);
  /** The region answers within its query timeout (3 s); an answer lost (a region stopping) is not waited for longer. */
  private static final Duration NO_ANSWER = Duration.ofSeconds(5);

  private final AtomicReference<Set<String>> shards = new AtomicReference<>(Set.of());

  private LocalTaskShards() {}

  static LocalTaskShards start(ActorSystem<?> system) {
    LocalTaskShards local = new LocalTaskShards();
    system.systemActorOf(local.poller(ClusterSharding.get(system)), "local-task-shards", Props.empty());
    return local;
  }

  /** The ids of the task shards hosted here; empty until the region first answered. */
  Set<String> get() {
    return shards.get();
  }

  private sealed interface Message {}

  private enum Poll implements Message {
    INSTANCE
  }

  private record Answered(ShardRegion.CurrentShardRegionState state) implements Message {}

  private Behavior<Message> poller(ClusterSharding sharding) {
    return Behaviors.setup(context -> {
      ActorRef<ShardRegion.CurrentShardRegionState> replyTo =
          context.messageAdapter(ShardRegion.CurrentShardRegionState.class, Answered::new);
      context.getSelf().tell(Poll.INSTANCE);
      return Behaviors.withTimers(timers -> Behaviors.receive(Message.class)
          .onMessageEquals(Poll.INSTANCE, () -> {
            sharding.shardState().tell(new GetShardRegionState(TaskEntity.ENTITY_KEY, replyTo));
            timers.startSingleTimer(Poll.INSTANCE, NO_ANSWER);
            return Behaviors.same();
          })
          .onMessage(Answered.class, answered -> {
            shards.set(answered.state().getShards().stream()
                .map(ShardRegion.ShardState::shardId)
                .collect(Collectors.toUnmodifiableSet()));
            timers.startSingleTimer(Poll.INSTANCE, INTERVAL);
            return Behaviors.same();
          })
          .build());
    });
  }
}
