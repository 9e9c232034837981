package io.steadfast.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node says whether it can serve tasks, from what the task shards' coordinator answers, and a
 * node that served and then cannot for too long stops so that it can be started afresh.
 */
class ServingWatchTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final ActorTestKit testKit =
      ActorTestKit.create(
          "serving-watch",
          ConfigFactory.parseString(
              """
              pekko.actor.provider = cluster
              pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
              pekko.coordinated-shutdown.exit-jvm = off
              pekko.coordinated-shutdown.terminate-actor-system = on
              pekko.cluster.jmx.enabled = off
              """));

  /** Stands in for the task shard region: answers with this node's region while told to. */
  static final class Region extends AbstractActor {
    private final AtomicBoolean answering;

    Region(AtomicBoolean answering) {
      this.answering = answering;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .matchAny(message -> {
            if (answering.get()) {
              var self = Cluster.get(Adapter.toTyped(getContext().getSystem())).selfMember().address();
              getSender().tell(new ShardRegion.CurrentRegions(scala.jdk.javaapi.CollectionConverters.asScala(Set.of(self)).toSet()), getSelf());
            }
          })
          .build();
    }
  }

  @AfterEach
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aNodeServesOnceItsRegionIsKnownAndStopsAfterLosingItsCoordinatorForTooLong() throws Exception {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    AtomicBoolean answering = new AtomicBoolean(true);
    ActorRef region = ((ExtendedActorSystem) Adapter.toClassic(testKit.system()))
        .systemActorOf(Props.create(Region.class, () -> new Region(answering)), "task-region");
    Serving serving = Serving.get(testKit.system());

    testKit.spawn(ServingWatch.create(region, Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofSeconds(2)));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      assertTrue(serving.isServing());
      return null;
    });

    answering.set(false); // the coordinator stops answering
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(
          "the task shards' coordinator did not answer within 300 ms", serving.notServingBecause().orElse("serving"));
      return null;
    });
    // Not serving for 2 s after having served: the node shuts itself down.
    Adapter.toClassic(testKit.system()).getWhenTerminated().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }
}
