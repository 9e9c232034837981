package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.storage.WakeIndex;
import io.steadfast.testing.Waiting;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tasks under real sharding on a one-node cluster, not remembered: sharding never passivates an
 * unfinished one, and the waker starts, through sharding, unfinished tasks that nothing else
 * reaches (after a crash or a full restart), each of which then ends by itself.
 */
class TaskShardingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final TaskEntityFixture fixture = new TaskEntityFixture(ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
      pekko.cluster.jmx.enabled = off
      pekko.coordinated-shutdown.exit-jvm = off
      pekko.cluster.sharding.number-of-shards = 60
      # What sharding does to an idle entity that nothing keeps from passivating, made quick.
      pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout = 300ms
      """).withFallback(EventSourcedBehaviorTestKit.config()).withFallback(PersistenceTestKitSnapshotPlugin.config()));
  private final ActorTestKit testKit = fixture.actorTestKit;
  private final ActorSystem<?> system = testKit.system();
  private ActorRef<ShardingEnvelope<TaskEntity.Command>> region;

  @BeforeEach
  void joinAndStartTasks() {
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    region = TaskSharding.init(system, fixture.runtime);
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  @Test
  void taskShardingNeitherRemembersNorPassivates() {
    ClusterShardingSettings settings = TaskSharding.shardingSettings(system);
    assertFalse(settings.rememberEntities());
    assertEquals(ClusterShardingSettings.PassivationStrategySettings$.MODULE$.disabled(),
        settings.passivationStrategySettings());
    assertEquals(60, settings.numberOfShards());
    assertNotEquals(settings.passivationStrategySettings(),
        ClusterShardingSettings.create(system).passivationStrategySettings(), "on for other entity types");
  }

  @Test
  void anUnfinishedTaskIsNeverPassivatedBySharding() {
    // A task due in an hour: it waits in its timer, and nothing reaches it meanwhile.
    TaskSpec later = fixture.specAt("noop", "{}", Instant.now().plus(Duration.ofHours(1)));
    TaskEntity.SubmitReply reply = ClusterSharding.get(system).entityRefFor(TaskEntity.ENTITY_KEY, "later")
        .<TaskEntity.SubmitReply>ask(replyTo -> new TaskEntity.Submit(later, replyTo), WAIT)
        .toCompletableFuture().join();
    assertEquals(TaskStatus.PENDING, assertInstanceOf(TaskEntity.Accepted.class, reply).task().status());

    // An entity of another type with sharding's default passivation, idle from a moment later.
    EntityTypeKey<String> controlKey = EntityTypeKey.create(String.class, "Control");
    ClusterSharding.get(system).init(Entity.of(controlKey, entity -> Behaviors.receive(String.class).onAnyMessage(m -> Behaviors.same()).build())
        .withSettings(ClusterShardingSettings.create(system).withRememberEntities(false)));
    ClusterSharding.get(system).entityRefFor(controlKey, "control").tell("hello");
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertTrue(running(controlKey).contains("control"));
      return null;
    });
    // Once sharding has passivated it, the task, idle longer, is still running.
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertFalse(running(controlKey).contains("control"), "the control entity passivated");
      return null;
    });
    assertTrue(running(TaskEntity.ENTITY_KEY).contains("later"));
  }

  @Test
  void theWakerStartsUnfinishedTasksThatNothingReachesAndEachEnds() {
    PersistenceTestKit journal = PersistenceTestKit.create(system);
    Instant before = Instant.now().minusSeconds(60);
    TaskSpec noop = fixture.spec("noop", "{}");
    TaskError permanent = new TaskError("BAD_INPUT", "no", false);
    // As a crash or a full stop left them: never started, interrupted mid-attempt, waiting for a
    // retry, dead-lettered without the queue having it yet.
    Map<String, List<Object>> tasks = Map.of(
        "pending", List.of(new TaskEntity.Submitted(noop, before)),
        "interrupted", List.of(new TaskEntity.Submitted(noop, before), new TaskEntity.AttemptStarted(1, "gone:1", before)),
        "retrying", List.of(new TaskEntity.Submitted(noop, before), new TaskEntity.AttemptStarted(1, "gone:1", before),
            new TaskEntity.AttemptFailed(1, AttemptOutcome.FAILED, new TaskError("IO", "reset", true), before, true, before)),
        "unfiled", List.of(new TaskEntity.Submitted(noop, before), new TaskEntity.AttemptStarted(1, "gone:1", before),
            new TaskEntity.AttemptFailed(1, AttemptOutcome.FAILED, permanent, null, true, before),
            new TaskEntity.DeadLettered("permanent failure: BAD_INPUT", before)));
    WakeIndex.Registration registration = WakeIndex.get(system).registration();
    Map<Integer, List<String>> open = new HashMap<>();
    tasks.forEach((id, events) -> {
      journal.persistForRecovery("Task|" + id, events);
      open.computeIfAbsent(registration.shardOf().applyAsInt("Task|" + id), shard -> new ArrayList<>()).add(id);
    });
    assertTrue(open.size() > 1, "the tasks are in several shards: " + open);
    assertTrue(running(TaskEntity.ENTITY_KEY).isEmpty());

    TaskWaker.OpenTasks index = new TaskWaker.OpenTasks() {
      @Override
      public Map<Integer, List<String>> openIn(Collection<Integer> shards) {
        Map<Integer, List<String>> read = new HashMap<>();
        for (int shard : shards) if (open.containsKey(shard)) read.put(shard, open.get(shard));
        return read;
      }

      @Override
      public Map<Integer, String> onePerShard() {
        Map<Integer, String> first = new HashMap<>();
        open.forEach((shard, ids) -> first.put(shard, ids.get(0)));
        return first;
      }
    };
    Duration often = Duration.ofMillis(100);
    TaskWaker.start(system, region, index, Runnable::run,
        new TaskWaker.Settings(often, often, Duration.ofHours(1), Duration.ZERO, often, often));

    Waiting.waitFor("every task to end").atMost(WAIT).until(() -> {
      for (String id : List.of("pending", "interrupted", "retrying")) {
        if (events(journal, id).stream().noneMatch(TaskEntity.AttemptSucceeded.class::isInstance)) {
          return false;
        }
      }
      return events(journal, "unfiled").stream().anyMatch(TaskEntity.DeadLetterFiled.class::isInstance);
    });
    // Each where the index said, the shard sharding sends it to.
    Map<String, Set<String>> byShard = runningByShard(TaskEntity.ENTITY_KEY);
    open.forEach((shard, ids) -> assertTrue(byShard.get(String.valueOf(shard)).containsAll(ids), byShard::toString));
    assertEquals(List.of("unfiled"), fixture.filed.stream().map(entry -> entry.taskId()).toList());
    List<Object> interrupted = events(journal, "interrupted");
    assertEquals(AttemptOutcome.NODE_LOST, assertInstanceOf(TaskEntity.AttemptFailed.class, interrupted.get(2)).outcome());
  }

  /** A task's events as written (the test kit keeps them wrapped with their tags). */
  private static List<Object> events(PersistenceTestKit journal, String taskId) {
    return journal.persistedInStorage("Task|" + taskId).stream()
        .map(event -> event instanceof Tagged tagged ? tagged.payload() : event)
        .toList();
  }

  private Set<String> running(EntityTypeKey<?> key) {
    Set<String> ids = new java.util.HashSet<>();
    runningByShard(key).values().forEach(ids::addAll);
    return ids;
  }

  private Map<String, Set<String>> runningByShard(EntityTypeKey<?> key) {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = testKit.createTestProbe();
    ClusterSharding.get(system).shardState().tell(new GetShardRegionState(key, probe.ref()));
    Map<String, Set<String>> byShard = new HashMap<>();
    for (ShardRegion.ShardState shard : probe.receiveMessage(WAIT).getShards()) {
      byShard.put(shard.shardId(), shard.getEntityIds());
    }
    return byShard;
  }
}
