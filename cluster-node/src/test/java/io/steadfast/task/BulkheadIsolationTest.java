package io.steadfast.task;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.TaskView;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A type whose bulkhead is full of hung attempts must not delay another type. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BulkheadIsolationTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void aFullBulkheadOfOneTypeDoesNotDelayAnother() {
    // "narrow" runs one attempt at a time per node: the first hangs, the rest wait for its slot.
    List<ActorRef<TaskEntity.Command>> narrow = new ArrayList<>();
    for (int i = 0; i < 4; i++) narrow.add(submit("narrow-" + i, fixture.spec("narrow", "{\"durationMs\": 60000}")));
    awaitStatus(narrow.get(0), TaskStatus.RUNNING);

    // Were the types sharing threads, the noop would wait behind a minute-long attempt.
    ActorRef<TaskEntity.Command> noop = submit("noop", fixture.spec("noop", "{}"));
    awaitStatus(noop, TaskStatus.SUCCEEDED);

    long running = narrow.stream().filter(t -> view(t).status() == TaskStatus.RUNNING).count();
    long waiting = narrow.stream().filter(t -> view(t).status() == TaskStatus.PENDING).count();
    assertEquals(1, running, "one narrow attempt holds the only slot");
    assertEquals(3, waiting, "the others wait for it, still PENDING (not RUNNING, no timeout ticking)");
  }

  private ActorRef<TaskEntity.Command> submit(String id, TaskSpec spec) {
    TestProbe<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard =
        fixture.actorTestKit.createTestProbe();
    ActorRef<TaskEntity.Command> entity = fixture.actorTestKit.spawn(TaskEntity.create(id, fixture.runtime, shard.ref()));
    TestProbe<TaskEntity.SubmitReply> reply = fixture.actorTestKit.createTestProbe();
    entity.tell(new TaskEntity.Submit(spec, reply.ref()));
    assertInstanceOf(TaskEntity.Accepted.class, reply.receiveMessage());
    return entity;
  }

  private TaskView view(ActorRef<TaskEntity.Command> entity) {
    TestProbe<TaskEntity.GetReply> reply = fixture.actorTestKit.createTestProbe();
    entity.tell(new TaskEntity.Get(reply.ref()));
    return assertInstanceOf(TaskEntity.Found.class, reply.receiveMessage()).task();
  }

  private void awaitStatus(ActorRef<TaskEntity.Command> entity, TaskStatus status) {
    waitFor(entity.path().name() + " " + status).until(() -> view(entity), view -> view.status() == status);
  }
}
