package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.submit;
import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.steadfast.breaker.BreakerSettings;
import io.steadfast.breaker.BreakerStatus;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.TaskView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The fast path: a new task due at once, whose breaker is closed and whose bulkhead has a free
 * slot, is submitted and started in one journal write; any other goes the normal way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskEntityFastStartTest {
  private static final BreakerSettings QUICK =
      new BreakerSettings(1, 0, 20, 10, Duration.ofMillis(400), 1.0, Duration.ofMillis(400), 1, 20);

  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private final PersistenceTestKit journal = PersistenceTestKit.create(fixture.actorTestKit.system());
  /** Each journal write (one AtomicWrite) as the classes of its events, by persistence id. */
  private final Map<String, List<List<Class<?>>>> writes = new ConcurrentHashMap<>();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTask();
    fixture.breakers.reset();
    writes.clear();
    journal.withPolicy((persistenceId, operation) -> {
      if (operation instanceof WriteEvents write) {
        writes.computeIfAbsent(persistenceId, id -> new CopyOnWriteArrayList<>()).add(classesOf(write.getBatch()));
      }
      return ProcessingSuccess.getInstance();
    });
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void aDueTaskWithAFreeSlotIsSubmittedAndStartedInOneWrite() {
    TaskView accepted = submit(task, fixture.spec("noop", "{}")).task();
    assertEquals(TaskStatus.RUNNING, accepted.status(), "the view after both events");
    assertEquals(1, accepted.attempts());
    assertEquals(TaskEntityFixture.NODE, accepted.history().get(0).node());
    assertEquals(List.of(TaskEntity.Submitted.class, TaskEntity.AttemptStarted.class), firstWriteOf(task));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.SUCCEEDED), TaskEntityFixture.outcomes(done));
    assertEquals(
        List.of(
            List.of(TaskEntity.Submitted.class, TaskEntity.AttemptStarted.class),
            List.of(TaskEntity.AttemptSucceeded.class)),
        writesOf(task),
        "two writes for the whole task");
    awaitInUse("noop", 0);
  }

  @Test
  void aTaskWhoseBulkheadIsFullIsSubmittedAloneAndWaitsForTheSlot() {
    submit(task, fixture.spec("narrow", "{\"durationMs\": 300}"));
    TaskEntityFixture.Task second = fixture.newTask();

    TaskEntity.Accepted accepted = submit(second, fixture.spec("narrow", "{\"durationMs\": 1}"));

    assertEquals(TaskStatus.PENDING, accepted.task().status());
    assertEquals(List.of(TaskEntity.Submitted.class), firstWriteOf(second));
    TaskEntity.State first = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    TaskEntity.State done = awaitState(second, s -> s.status() == TaskStatus.SUCCEEDED);
    // The slot is given back as the handler returns, a moment before its end is persisted.
    assertFalse(
        done.history().get(0).startedAt().isBefore(first.history().get(0).startedAt().plusMillis(300)),
        "started once the first's 300 ms handler gave its slot back");
    awaitInUse("narrow", 0);
  }

  @Test
  void aTaskWhoseBreakerIsOpenIsSubmittedAloneAndDeferred() {
    fixture.breakers.statuses.put("noop", BreakerStatus.closed().onFailure(Instant.now(), QUICK));

    TaskEntity.Accepted accepted = submit(task, fixture.spec("noop", "{}"));

    assertEquals(TaskStatus.PENDING, accepted.task().status());
    assertEquals(List.of(TaskEntity.Submitted.class), firstWriteOf(task));
    awaitState(task, s -> s.status() == TaskStatus.DEFERRED);
    assertEquals(0, fixture.runtime.bulkheads().inUse("noop"));
  }

  @Test
  void aDelayedTaskIsSubmittedAlone() {
    TaskEntity.Accepted accepted = submit(task, fixture.specAt("noop", "{}", Instant.now().plusSeconds(3600)));

    assertEquals(TaskStatus.PENDING, accepted.task().status());
    assertEquals(List.of(TaskEntity.Submitted.class), firstWriteOf(task));
    assertEquals(0, fixture.runtime.bulkheads().inUse("noop"));
  }

  @Test
  void aFastStartWhoseWriteFailsGivesItsSlotBackAndARetriedSubmitRuns() {
    // Spawned plainly: the event-sourced test kit expects every command to persist.
    String id = "fails-its-first-write";
    TestProbe<ClusterSharding.ShardCommand> shard = fixture.actorTestKit.createTestProbe();
    ActorRef<TaskEntity.Command> entity = fixture.actorTestKit.spawn(TaskEntity.create(id, fixture.runtime, shard.ref()));
    TaskSpec spec = fixture.spec("narrow", "{\"durationMs\": 1}");
    journal.failNextPersisted("Task|" + id);
    TestProbe<TaskEntity.SubmitReply> lost = fixture.actorTestKit.createTestProbe();

    entity.tell(new TaskEntity.Submit(spec, lost.ref()));

    lost.expectNoMessage(Duration.ofMillis(300)); // the entity restarts in place and recovers
    awaitInUse("narrow", 0);
    TestProbe<TaskEntity.SubmitReply> retried = fixture.actorTestKit.createTestProbe();
    entity.tell(new TaskEntity.Submit(spec, retried.ref()));
    TaskView accepted = assertInstanceOf(TaskEntity.Accepted.class, retried.receiveMessage()).task();
    assertEquals(TaskStatus.RUNNING, accepted.status(), "started at once: the slot was free again");
    awaitInUse("narrow", 0); // it ran and gave the slot back
    TestProbe<TaskEntity.GetReply> read = fixture.actorTestKit.createTestProbe();
    entity.tell(new TaskEntity.Get(read.ref()));
    assertEquals(TaskStatus.SUCCEEDED, assertInstanceOf(TaskEntity.Found.class, read.receiveMessage()).task().status());
  }

  private List<List<Class<?>>> writesOf(TaskEntityFixture.Task of) {
    return writes.getOrDefault("Task|" + of.id(), List.of());
  }

  /** What the Submit wrote (later writes may follow at any time). */
  private List<Class<?>> firstWriteOf(TaskEntityFixture.Task of) {
    return writesOf(of).get(0);
  }

  private static List<Class<?>> classesOf(List<?> events) {
    return events.stream()
        .<Class<?>>map(event -> event instanceof Tagged tagged ? tagged.payload().getClass() : event.getClass())
        .toList();
  }

  private void awaitInUse(String type, int expected) {
    waitFor(type + " slots in use")
        .until(() -> fixture.runtime.bulkheads().inUse(type), inUse -> inUse == expected);
  }
}
