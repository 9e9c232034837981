package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.outcomes;
import static io.steadfast.task.TaskEntityFixture.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A task's life: submission, attempts, retries, dead letters, idempotency and recovery. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskEntityTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTask();
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void acceptsATaskAndRunsItToSucceeded() {
    var result =
        task.kit().<TaskEntity.SubmitReply>runCommand(replyTo -> new TaskEntity.Submit(fixture.spec("noop", "{}"), replyTo));

    TaskEntity.Accepted accepted = assertInstanceOf(TaskEntity.Accepted.class, result.reply());
    assertEquals(TaskStatus.RUNNING, accepted.task().status(), "due, and a slot was free: started at once");
    assertInstanceOf(TaskEntity.Submitted.class, result.events().get(0));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(1, done.attempts());
    TaskEntity.Attempt attempt = done.history().get(0);
    assertEquals(TaskEntityFixture.NODE, attempt.node());
    assertEquals(AttemptOutcome.SUCCEEDED, attempt.outcome());
    assertNotNull(attempt.endedAt());
    assertNull(done.nextAttemptAt());
  }

  @Test
  void retriesRetryableFailuresUntilTheAttemptThatSucceeds() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 2, \"error\": \"retryable\"}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertEquals("FLAKY", done.lastError().type());
    assertTrue(done.lastError().retryable());
    assertEquals(3, done.result().get("succeededOnAttempt").asInt());
  }

  @Test
  void deadLettersATaskWhoseAttemptsAreSpent() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 10}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.FAILED), outcomes(done));
    assertNull(done.nextAttemptAt());
    assertEquals("flaky failure on attempt 3", done.lastError().message());
  }

  @Test
  void deadLettersAtOnceOnAPermanentError() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1, \"error\": \"permanent\"}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.FAILED), outcomes(done));
    assertFalse(done.lastError().retryable());
  }

  @Test
  void recordsAHungAttemptAsTimedOutAndRetriesIt() {
    submit(task, fixture.spec("sleep", "{\"durationMs\": 60000}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.TIMED_OUT, AttemptOutcome.TIMED_OUT), outcomes(done));
    assertEquals("TIMED_OUT", done.lastError().type());
  }

  @Test
  void resubmittingTheSameRequestReturnsTheSameTask() {
    submit(task, fixture.spec("patient-sleep", "{\"durationMs\": 60000, \"n\": 1}"));
    TaskSpec same = fixture.spec("patient-sleep", "{\"n\": 1.0, \"durationMs\": 60000}");

    var again = task.kit().<TaskEntity.SubmitReply>runCommand(replyTo -> new TaskEntity.Submit(same, replyTo));

    assertInstanceOf(TaskEntity.AlreadySubmitted.class, again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void resubmittingADifferentRequestUnderTheSameIdConflicts() {
    submit(task, fixture.spec("patient-sleep", "{\"durationMs\": 60000}"));

    var other =
        task.kit().<TaskEntity.SubmitReply>runCommand(
            replyTo -> new TaskEntity.Submit(fixture.spec("patient-sleep", "{\"durationMs\": 1}"), replyTo));

    assertInstanceOf(TaskEntity.IdempotencyConflict.class, other.reply());
    assertTrue(other.hasNoEvents());
  }

  @Test
  void readingAnUnknownTaskAnswersNotFoundAndLeavesNothingBehind() {
    var result = task.kit().<TaskEntity.GetReply>runCommand(TaskEntity.Get::new);

    assertInstanceOf(TaskEntity.NotFound.class, result.reply());
    assertTrue(result.hasNoEvents());
    task.shard().expectMessageClass(ClusterSharding.Passivate.class);
  }

  @Test
  void anAttemptRunningWhenTheTaskStoppedIsRecordedNodeLostAndRunAgain() {
    Instant at = Instant.now();
    task.kit().initialize(
        new TaskEntity.Submitted(fixture.spec("noop", "{}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.NODE_LOST, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertEquals("127.0.0.1:2552", done.history().get(0).node());
    assertEquals(TaskEntityFixture.NODE, done.history().get(1).node());
    assertEquals("NODE_LOST", done.history().get(0).error().type());
  }

  @Test
  void aTaskThatKeepsLosingItsNodeIsDeadLetteredInsteadOfCrashLoopingTheCluster() {
    Instant at = Instant.now();
    TaskSpec poison = fixture.spec("once", "{}");
    task.kit().initialize(new TaskEntity.Submitted(poison, at), new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.NODE_LOST), outcomes(done));
  }

  @Test
  void recoversFromEventsWithTheSameStateAsBefore() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1}"));
    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);

    assertEquals(done, task.kit().restart().state());
  }

  @Test
  void resumesABackoffFromASnapshotAfterRecovery() {
    Instant at = Instant.now();
    TaskEntity.State waiting = TaskEntity.State.empty(task.id());
    for (TaskEntity.Event event : List.of(
        new TaskEntity.Submitted(fixture.spec("flaky", "{\"failTimes\": 1}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at),
        new TaskEntity.AttemptFailed(
            1, AttemptOutcome.FAILED, new TaskError("FLAKY", "x", true), at.plusMillis(200), true, at))) {
      waiting = TaskLifecycle.apply(waiting, event);
    }
    task.kit().initialize(waiting);

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertFalse(
        done.history().get(1).startedAt().isBefore(at.plusMillis(200)),
        "the second attempt waited for the persisted next-attempt time");
  }

  @Test
  void takesSnapshotsAsEventsAccumulate() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 2}"));
    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);

    // 7 events with a snapshot every 4: the snapshot holds the state after the 4th event.
    var snapshot =
        task.kit().snapshotTestKit().orElseThrow().expectNextPersistedClass("Task|" + task.id(), TaskEntity.State.class);
    assertEquals(TaskStatus.RUNNING, snapshot.status());
    assertEquals(2, snapshot.attempts());
    assertEquals(done, task.kit().restart().state());
  }
}
