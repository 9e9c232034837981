package io.steadfast.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Await;
import scala.jdk.javaapi.CollectionConverters;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PinnedShardAllocationTest {
  private final ActorTestKit testKit = ActorTestKit.create();
  private final PinnedShardAllocation allocation = new PinnedShardAllocation();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aNewShardGoesToTheRegionWithTheFewest() throws Exception {
    ActorRef busy = region();
    ActorRef idle = region();
    Map<ActorRef, IndexedSeq<String>> allocations = new LinkedHashMap<>();
    allocations.put(busy, shards("1", "2", "3"));
    allocations.put(idle, shards("4"));

    assertEquals(idle, Await.result(allocation.allocateShard(busy, "5", allocations), scala.concurrent.duration.Duration.create(1, "s")));
  }

  @Test
  void shardsAreNeverMovedForBalance() throws Exception {
    Map<ActorRef, IndexedSeq<String>> lopsided = new LinkedHashMap<>();
    lopsided.put(region(), shards("1", "2", "3", "4", "5", "6", "7", "8"));
    lopsided.put(region(), shards());
    lopsided.put(region(), shards());

    Set<String> moved = Await.result(allocation.rebalance(lopsided, Set.of()), scala.concurrent.duration.Duration.create(1, "s"));

    assertTrue(moved.isEmpty(), "moved " + moved);
  }

  private ActorRef region() {
    return Adapter.toClassic(testKit.createTestProbe().ref());
  }

  private static IndexedSeq<String> shards(String... ids) {
    return CollectionConverters.asScala(List.of(ids)).toIndexedSeq();
  }
}
