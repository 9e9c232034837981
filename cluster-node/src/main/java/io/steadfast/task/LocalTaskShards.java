package io.steadfast.task;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.GetClusterShardingStats;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The task shards that ids may be minted on here: those this node hosts, as its shard region last
 * said, once every task shard has a home in the cluster. Read without asking.
 *
 * <p>Why wait for every shard: the coordinator places a shard the first time a task is sent to
 * it, and writes that to every member of a small cluster (distributed data's {@code
 * majority-min-cap}); a member killed a moment before stalls the write, and with it every shard
 * the coordinator places, the dead member's included, for {@code updating-state-timeout} (5 s).
 * Random ids give every shard a home within the first few hundred tasks; ids minted only on shards
 * already placed would leave some without one for a long time, and place them whenever a key
 * first falls on them, a failover included. With remember-entities on, a shard once placed is
 * placed again at once when its node dies, so every shard keeps a home from then on.
 *
 * <p>The region is asked again {@link #INTERVAL} after each answer, so that its queries (each
 * asks every shard) never pile up. A shard that has just moved is still listed for up to that
 * long; a task placed on it then only takes the way through another node, as any task did before.
 */
final class LocalTaskShards {
  static final Duration INTERVAL = Duration.ofSeconds(1);
  /** The region answers within its query timeout (3 s); an answer lost (a region stopping) is not waited for longer. */
  private static final Duration NO_ANSWER = Duration.ofSeconds(5);
  /** How long the regions of the cluster have to tell which shards they host. */
  private static final Duration CLUSTER_QUERY_TIMEOUT = Duration.ofSeconds(3);

  private final AtomicReference<Set<String>> hosted = new AtomicReference<>(Set.of());
  private final int numberOfShards;
  private volatile boolean everyShardPlaced;

  private LocalTaskShards(int numberOfShards) {
    this.numberOfShards = numberOfShards;
  }

  static LocalTaskShards start(ActorSystem<?> system) {
    LocalTaskShards local = new LocalTaskShards(ClusterShardingSettings.create(system).numberOfShards());
    system.systemActorOf(local.poller(ClusterSharding.get(system)), "local-task-shards", Props.empty());
    return local;
  }

  /** The ids of the task shards hosted here; empty until every task shard has a home. */
  Set<String> get() {
    return everyShardPlaced ? hosted() : Set.of();
  }

  /** The ids of the task shards hosted here, as the region last said. */
  Set<String> hosted() {
    return hosted.get();
  }

  private sealed interface Message {}

  private enum Poll implements Message {
    INSTANCE
  }

  private record Hosted(ShardRegion.CurrentShardRegionState state) implements Message {}

  private record Placed(ShardRegion.ClusterShardingStats stats) implements Message {}

  private Behavior<Message> poller(ClusterSharding sharding) {
    return Behaviors.setup(context -> {
      ActorRef<ShardRegion.CurrentShardRegionState> hostedReplies =
          context.messageAdapter(ShardRegion.CurrentShardRegionState.class, Hosted::new);
      ActorRef<ShardRegion.ClusterShardingStats> placedReplies =
          context.messageAdapter(ShardRegion.ClusterShardingStats.class, Placed::new);
      context.getSelf().tell(Poll.INSTANCE);
      return Behaviors.withTimers(timers -> Behaviors.receive(Message.class)
          .onMessageEquals(Poll.INSTANCE, () -> {
            sharding.shardState().tell(new GetShardRegionState(TaskEntity.ENTITY_KEY, hostedReplies));
            if (!everyShardPlaced) {
              sharding.shardState().tell(
                  new GetClusterShardingStats(TaskEntity.ENTITY_KEY, CLUSTER_QUERY_TIMEOUT, placedReplies));
            }
            timers.startSingleTimer(Poll.INSTANCE, NO_ANSWER);
            return Behaviors.same();
          })
          .onMessage(Hosted.class, answer -> {
            hosted.set(answer.state().getShards().stream()
                .map(ShardRegion.ShardState::shardId)
                .collect(Collectors.toUnmodifiableSet()));
            timers.startSingleTimer(Poll.INSTANCE, INTERVAL);
            return Behaviors.same();
          })
          .onMessage(Placed.class, answer -> {
            Set<String> placed = new HashSet<>();
            for (ShardRegion.ShardRegionStats region : answer.stats().getRegions().values()) {
              placed.addAll(region.getStats().keySet());
              placed.addAll(region.getFailed());
            }
            if (placed.size() >= numberOfShards) everyShardPlaced = true; // and stays so (see above)
            return Behaviors.same();
          })
          .build());
    });
  }
}
