package io.steadfast.task;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.fasterxml.uuid.Generators;
import io.steadfast.storage.MintedIds;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On a one-node cluster: the task shards this node hosts are those its region reports, and each
 * is the shard that {@link TaskEntity#messageExtractor} computes for the ids it was started for,
 * so ids minted for "here" are delivered here.
 */
class LocalTaskShardsTest {
  private final ActorTestKit testKit = ActorTestKit.create(
      "local-task-shards",
      ConfigFactory.parseString("""
          pekko.actor.provider = cluster
          pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
          pekko.coordinated-shutdown.exit-jvm = off
          pekko.cluster.jmx.enabled = off
          pekko.cluster.sharding.number-of-shards = 60
          """));

  @AfterEach
  void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Stays until its shard is handed off. */
  private static Behavior<TaskEntity.Command> idleTask() {
    return Behaviors.receiveMessage(command -> command == TaskEntity.HandOff.INSTANCE ? Behaviors.stopped() : Behaviors.same());
  }

  @Test
  void theShardsHostedHereAreThoseSharingComputesForTheTasksHere() {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    ClusterSharding sharding = ClusterSharding.get(testKit.system());
    // Entity.of's defaults, as sharding placed tasks before TaskEntity named its extractor.
    sharding.init(Entity.of(TaskEntity.ENTITY_KEY, entity -> idleTask()).withStopMessage(TaskEntity.HandOff.INSTANCE));
    LocalTaskShards local = LocalTaskShards.start(testKit.system());
    var extractor = TaskEntity.messageExtractor(testKit.system());
    TaskIds taskIds = new TaskIds(
        Generators.timeBasedEpochGenerator(), extractor::shardId, local::get, type -> true,
        MintedIds.get(testKit.system()));

    // Tasks on about two thirds of the shards, as a node of a small cluster hosts.
    List<String> tasks = IntStream.range(0, 60).mapToObj(i -> "task-" + i).toList();
    for (String task : tasks) sharding.entityRefFor(TaskEntity.ENTITY_KEY, task).tell(TaskEntity.Wake.INSTANCE);
    Set<String> expected = tasks.stream().map(extractor::shardId).collect(Collectors.toSet());

    waitFor("the shards of the tasks started reported hosted here").until(local::get, expected::equals);
    for (int i = 0; i < 20; i++) {
      String id = taskIds.mint("noop");
      assertTrue(expected.contains(extractor.shardId(id)), id + " minted on shard " + extractor.shardId(id));
    }
  }
}
