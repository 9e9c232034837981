package io.steadfast.task;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On a one-node cluster: the task shards hosted here are those the region reports, each the shard
 * that {@link TaskEntity#messageExtractor} computes for the tasks it was started for (so that ids
 * minted for "here" are delivered here); ids are minted on them only once every shard has a home.
 */
class LocalTaskShardsTest {
  private static final int SHARDS = 12;
  private final ActorTestKit testKit = ActorTestKit.create(
      "local-task-shards",
      ConfigFactory.parseString("""
          pekko.actor.provider = cluster
          pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
          pekko.coordinated-shutdown.exit-jvm = off
          pekko.cluster.jmx.enabled = off
          pekko.cluster.sharding.number-of-shards = %d
          """.formatted(SHARDS)));

  @AfterEach
  void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Stays until its shard is handed off. */
  private static Behavior<TaskEntity.Command> idleTask() {
    return Behaviors.receiveMessage(command -> command == TaskEntity.HandOff.INSTANCE ? Behaviors.stopped() : Behaviors.same());
  }

  @Test
  void theShardsHostedHereAreThoseShardingComputesAndIdsAreMintedOnThemOnceEveryShardHasAHome() {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    ClusterSharding sharding = ClusterSharding.get(testKit.system());
    // Entity.of's defaults, as sharding placed tasks before TaskEntity named its extractor.
    sharding.init(Entity.of(TaskEntity.ENTITY_KEY, entity -> idleTask()).withStopMessage(TaskEntity.HandOff.INSTANCE));
    LocalTaskShards local = LocalTaskShards.start(testKit.system());
    var extractor = TaskSharding.messageExtractor(testKit.system());

    List<String> firstHalf = taskPerShard(extractor, 0, SHARDS / 2);
    startAll(sharding, firstHalf);
    Set<String> halfTheShards = firstHalf.stream().map(extractor::shardId).collect(Collectors.toSet());
    waitFor("the shards of the tasks started hosted here").until(local::hosted, halfTheShards::equals);
    assertEquals(Set.of(), local.get(), "half the shards have no home yet");

    startAll(sharding, taskPerShard(extractor, SHARDS / 2, SHARDS));
    Set<String> everyShard = IntStream.range(0, SHARDS).mapToObj(String::valueOf).collect(Collectors.toSet());
    waitFor("every shard hosted here, and known to be placed").until(local::get, everyShard::equals);
  }

  /** A task id on each shard from {@code from} (inclusive) to {@code to}, as the extractor places ids. */
  private static List<String> taskPerShard(HashCodeMessageExtractor<TaskEntity.Command> extractor, int from, int to) {
    return IntStream.range(from, to)
        .mapToObj(shard -> Stream.iterate(0, n -> n + 1).map(n -> "task-" + n)
            .filter(id -> extractor.shardId(id).equals(String.valueOf(shard))).findFirst().orElseThrow())
        .toList();
  }

  private static void startAll(ClusterSharding sharding, List<String> tasks) {
    for (String task : tasks) sharding.entityRefFor(TaskEntity.ENTITY_KEY, task).tell(TaskEntity.Wake.INSTANCE);
  }
}
