package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.expectNothingMoreWritten;
import static io.steadfast.task.TaskEntityFixture.outcomes;
import static io.steadfast.task.TaskEntityFixture.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Error classification, rate limits, retry-after, cancellation, checkpoints and delayed starts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskExecutionTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTask();
    fixture.clock.reset();
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  // ---------------------------------------------------------------- classification

  @Test
  void anExceptionListedAsAbortIsPermanent() {
    TaskEntity.State done = runThrowing("java.lang.IllegalArgumentException", TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.FAILED), outcomes(done));
    assertEquals("IllegalArgumentException", done.lastError().type());
    assertFalse(done.lastError().retryable());
  }

  @Test
  void aSubclassOfAnAbortExceptionIsPermanentToo() {
    TaskEntity.State done = runThrowing("java.lang.NumberFormatException", TaskStatus.DEAD_LETTERED);
    assertEquals(1, done.attempts());
  }

  @Test
  void anExceptionListedAsRetryIsRetriedUntilAttemptsAreSpent() {
    TaskEntity.State done = runThrowing("java.io.IOException", TaskStatus.DEAD_LETTERED);
    assertEquals(3, done.attempts());
    assertTrue(done.lastError().retryable());
  }

  @Test
  void anUnlistedExceptionIsRetryable() {
    TaskEntity.State done = runThrowing("java.lang.IllegalStateException", TaskStatus.DEAD_LETTERED);
    assertEquals(3, done.attempts());
  }

  private TaskEntity.State runThrowing(String exceptionClass, TaskStatus expected) {
    submit(task, fixture.spec("classified", "{\"throw\": \"" + exceptionClass + "\"}"));
    return awaitState(task, s -> s.status() == expected);
  }

  // ---------------------------------------------------------------- rate limits and retry-after

  @Test
  void aRateLimitedAttemptDoesNotSpendTheBudget() {
    submit(task, fixture.spec("once", "{\"failTimes\": 2, \"error\": \"rateLimited\", \"retryAfterMs\": 50}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertEquals(List.of(false, false, true), done.history().stream().map(TaskEntity.Attempt::counted).toList());
    assertEquals("RATE_LIMITED", done.history().get(0).error().type());
    Duration waited = Duration.between(done.history().get(0).endedAt(), done.history().get(1).startedAt());
    assertTrue(waited.toMillis() >= 50, "came back after the rate limit's delay, not at once: " + waited);
  }

  @Test
  void aHandlersRetryAfterReplacesTheComputedDelay() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1, \"retryAfterMs\": 400}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    Duration waited = Duration.between(done.history().get(0).endedAt(), done.history().get(1).startedAt());
    assertTrue(waited.toMillis() >= 400, "the type's 20 ms backoff was replaced by 400 ms: " + waited);
  }

  @Test
  void aRetryAfterBeyondThePolicysCapIsCapped() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1, \"retryAfterMs\": 3600000}"));

    TaskEntity.State waiting = awaitState(task, s -> s.status() == TaskStatus.RETRY_WAIT);
    Duration delay = Duration.between(waiting.updatedAt(), waiting.nextAttemptAt());
    assertEquals(Duration.ofSeconds(1), delay, "capped at the type's max-delay of 1 s");
  }

  // ---------------------------------------------------------------- cancellation

  @Test
  void cancellingAPendingTaskEndsItAtOnce() {
    submit(task, fixture.specAt("noop", "{}", Instant.now().plusSeconds(3600)));

    TaskEntity.CancelAccepted reply = cancel();
    assertEquals(TaskStatus.CANCELLED, reply.task().status());
    assertEquals(0, task.kit().getState().attempts());
  }

  @Test
  void cancellingATaskWaitingToRetryEndsItAtOnce() {
    submit(task, fixture.spec("slow-retry", "{\"failTimes\": 1}"));
    awaitState(task, s -> s.status() == TaskStatus.RETRY_WAIT);

    assertEquals(TaskStatus.CANCELLED, cancel().task().status());
    fixture.clock.advance(Duration.ofHours(2)); // the retry would be due now
    task.kit().runCommand(TaskEntity.Wake.INSTANCE);
    expectNothingMoreWritten(task, Duration.ofMillis(300));
    assertEquals(1, task.kit().getState().attempts(), "no attempt after the cancel");
  }

  @Test
  void cancellingARunningTaskStopsItsAttemptAndEndsItCancelled() {
    submit(task, fixture.spec("patient-sleep", "{\"durationMs\": 60000}"));
    awaitState(task, s -> s.status() == TaskStatus.RUNNING);

    TaskEntity.CancelAccepted reply = cancel();
    assertEquals(TaskStatus.RUNNING, reply.task().status());
    assertTrue(reply.task().cancelRequested());

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.CANCELLED);
    assertEquals(List.of(AttemptOutcome.CANCELLED), outcomes(done));
  }

  @Test
  void cancellingAnEndedTaskIsRefused() {
    submit(task, fixture.spec("noop", "{}"));
    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);

    var result = task.kit().<TaskEntity.CancelReply>runCommand(TaskEntity.Cancel::new);
    assertInstanceOf(TaskEntity.CancelRefused.class, result.reply());
    assertTrue(result.hasNoEvents());
  }

  @Test
  void cancellingAnUnknownTaskAnswersNotFound() {
    var result = task.kit().<TaskEntity.CancelReply>runCommand(TaskEntity.Cancel::new);
    assertInstanceOf(TaskEntity.CancelNotFound.class, result.reply());
  }

  @Test
  void aCancelRequestedBeforeACrashStillEndsTheTaskCancelled() {
    Instant at = Instant.now();
    task.kit().initialize(
        new TaskEntity.Submitted(fixture.spec("patient-sleep", "{\"durationMs\": 60000}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at),
        new TaskEntity.CancellationRequested(at));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.CANCELLED);
    assertEquals(List.of(AttemptOutcome.NODE_LOST), outcomes(done));
  }

  private TaskEntity.CancelAccepted cancel() {
    var result = task.kit().<TaskEntity.CancelReply>runCommand(TaskEntity.Cancel::new);
    return assertInstanceOf(TaskEntity.CancelAccepted.class, result.reply());
  }

  // ---------------------------------------------------------------- checkpoints and delays

  @Test
  void aHandlersCheckpointIsPersistedAndSnapshotted() {
    submit(task, fixture.spec("patient-sleep", "{\"durationMs\": 500, \"checkpointEveryMs\": 100}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertTrue(done.checkpoint().get("sleptMs").asLong() >= 100);
    var snapshot =
        task.kit().snapshotTestKit().orElseThrow().expectNextPersistedClass("Task|" + task.id(), TaskEntity.State.class);
    assertTrue(snapshot.checkpoint() != null, "a snapshot follows the first checkpoint");
  }

  @Test
  void theNextAttemptResumesFromTheLastCheckpoint() {
    Instant at = Instant.now();
    task.kit().initialize(
        new TaskEntity.Submitted(fixture.spec("patient-sleep", "{\"durationMs\": 600, \"checkpointEveryMs\": 100}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at),
        new TaskEntity.CheckpointRecorded(1, JsonNodeFactory.instance.objectNode().put("sleptMs", 400), at));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.NODE_LOST, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertEquals(400, done.result().get("resumedFromMs").asLong());
    assertEquals(200, done.result().get("sleptThisAttemptMs").asLong());
  }

  @Test
  void aDelayedTaskWaitsUntilItsRunAtTime() {
    Instant runAt = Instant.now().plusMillis(500);
    submit(task, fixture.specAt("noop", "{}", runAt));

    assertEquals(TaskStatus.PENDING, task.kit().getState().status());
    assertEquals(runAt, task.kit().getState().nextAttemptAt());
    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertFalse(done.history().get(0).startedAt().isBefore(runAt));
  }
}
