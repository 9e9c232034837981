package io.steadfast.task;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.AttemptView;
import io.steadfast.protocol.api.TaskView;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A shard that moves stops its entities with {@link TaskEntity.HandOff}: a running attempt is
 * told to stop and awaited, recorded HANDED_OFF without spending an attempt, and only then does
 * the entity stop, so that the attempt never runs on two nodes at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskHandOffTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private final TestProbe<ClusterSharding.ShardCommand> shard = fixture.actorTestKit.createTestProbe();

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void aRunningAttemptIsStoppedAndRecordedBeforeTheEntityStops() {
    ActorRef<TaskEntity.Command> entity = spawn("hand-off-running");
    submit(entity, fixture.spec("patient-sleep", "{\"durationMs\": 60000}"));
    TestProbe<Object> probe = fixture.actorTestKit.createTestProbe();
    waitFor("the attempt running").until(() -> view(entity).status(), status -> status == TaskStatus.RUNNING);

    entity.tell(TaskEntity.HandOff.INSTANCE);
    probe.expectTerminated(entity, WAIT);

    // The task as the next node finds it: the attempt ended, not counted, and a new one due.
    ActorRef<TaskEntity.Command> next = spawn("hand-off-running");
    TaskView resumed = view(next);
    AttemptView handedOff = resumed.history().get(0);
    assertEquals(AttemptOutcome.HANDED_OFF, handedOff.outcome());
    assertFalse(handedOff.counted(), "a hand-off spends no attempt");
    assertTrue(handedOff.error().message().contains("moved to another node"), handedOff.error().message());
    waitFor("the next attempt started at once")
        .until(() -> view(next), now -> now.attempts() == 2 && now.status() == TaskStatus.RUNNING);
    next.tell(TaskEntity.HandOff.INSTANCE); // stop the 60 s sleep
    probe.expectTerminated(next, WAIT);
  }

  @Test
  void aTaskWithNoAttemptRunningStopsAtOnce() {
    ActorRef<TaskEntity.Command> entity = spawn("hand-off-waiting");
    submit(entity, fixture.specAt("noop", "{}", Instant.now().plusSeconds(3600)));

    entity.tell(TaskEntity.HandOff.INSTANCE);

    fixture.actorTestKit.createTestProbe().expectTerminated(entity, WAIT);
    assertEquals(TaskStatus.PENDING, view(spawn("hand-off-waiting")).status(), "nothing recorded for it");
  }

  private ActorRef<TaskEntity.Command> spawn(String id) {
    return fixture.actorTestKit.spawn(TaskEntity.create(id, fixture.runtime, shard.ref()));
  }

  private void submit(ActorRef<TaskEntity.Command> entity, TaskSpec spec) {
    TestProbe<TaskEntity.SubmitReply> replies = fixture.actorTestKit.createTestProbe();
    entity.tell(new TaskEntity.Submit(spec, replies.ref()));
    replies.expectMessageClass(TaskEntity.Accepted.class, WAIT);
  }

  private TaskView view(ActorRef<TaskEntity.Command> entity) {
    TestProbe<TaskEntity.GetReply> replies = fixture.actorTestKit.createTestProbe();
    entity.tell(new TaskEntity.Get(replies.ref()));
    return replies.expectMessageClass(TaskEntity.Found.class, WAIT).task();
  }
}
