package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.outcomes;
import static io.steadfast.task.TaskEntityFixture.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A dead-lettered task files itself with the queue, at least once, and can be redriven. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskDeadLetterTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTaskWithEmptyQueue();
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void aDeadLetteredTaskFilesItsEntryWithTheQueue() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 9}"));

    TaskEntity.State done = awaitState(task, s -> s.deadLetter() != null && s.deadLetter().filed());
    DeadLetterQueue.Entry entry = fixture.filed.peek();
    assertNotNull(entry);
    assertEquals(task.id(), entry.taskId());
    assertEquals("flaky", entry.type());
    assertEquals("FLAKY", entry.errorType());
    assertEquals(3, entry.attempts());
    assertEquals(done.history().get(0).endedAt(), entry.firstFailureAt());
    assertEquals(done.history().get(2).endedAt(), entry.lastFailureAt());
    assertEquals("attempts exhausted (3 of 3)", entry.reason());
  }

  @Test
  void filingIsRetriedUntilTheQueueAcknowledges() {
    fixture.refuseFilings.set(2);
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1, \"error\": \"permanent\"}"));

    awaitState(task, s -> s.deadLetter() != null && s.deadLetter().filed());
    assertEquals(3, fixture.filed.size(), "two refused filings, then the one that landed");
  }

  @Test
  void aDeadLetterUnfiledBeforeACrashIsFiledAfterRecovery() {
    Instant at = Instant.now();
    task.kit().initialize(
        new TaskEntity.Submitted(fixture.spec("flaky", "{}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at),
        new TaskEntity.AttemptFailed(1, AttemptOutcome.FAILED, new TaskError("X", "x", false), null, true, at),
        new TaskEntity.DeadLettered("permanent failure: X", at));

    awaitState(task, s -> s.deadLetter().filed());
    assertEquals(task.id(), fixture.filed.peek().taskId());
  }

  @Test
  void aRedrivenTaskRunsAgainWithAFreshBudgetAndItsAttemptNumbersGoOn() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 4}"));
    awaitState(task, s -> s.deadLetter() != null && s.deadLetter().filed());

    var reply = task.kit().<TaskEntity.RedriveReply>runCommand(replyTo -> new TaskEntity.Redrive(null, replyTo));

    assertEquals(TaskStatus.PENDING, assertInstanceOf(TaskEntity.RedriveAccepted.class, reply.reply()).task().status());
    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(
        List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.FAILED,
            AttemptOutcome.SUCCEEDED),
        outcomes(done));
    assertEquals(List.of(1, 2, 3, 4, 5), done.history().stream().map(TaskEntity.Attempt::number).toList());
  }

  @Test
  void aRedriveMayBringANewRetryPolicy() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 3}"));
    awaitState(task, s -> s.deadLetter() != null && s.deadLetter().filed());
    RetryPolicy once = new RetryPolicy(RetryPolicy.Strategy.FIXED, 10, 1.0, 10, RetryPolicy.Jitter.NONE, 0.0, 1);

    task.kit().<TaskEntity.RedriveReply>runCommand(replyTo -> new TaskEntity.Redrive(once, replyTo));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(once, done.spec().retryPolicy());
    assertEquals(4, done.attempts());
  }

  @Test
  void onlyADeadLetteredTaskCanBeRedriven() {
    submit(task, fixture.spec("noop", "{}"));
    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);

    var reply = task.kit().<TaskEntity.RedriveReply>runCommand(replyTo -> new TaskEntity.Redrive(null, replyTo));

    assertInstanceOf(TaskEntity.RedriveRefused.class, reply.reply());
    assertTrue(reply.hasNoEvents());
  }
}
