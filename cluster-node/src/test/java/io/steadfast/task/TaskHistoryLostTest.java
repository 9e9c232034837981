package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.TaskView;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A journal that lost events the task had written (a database that lost acknowledged commits)
 * recovers to a dead letter that names the loss, never to an entity that fails every recovery.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskHistoryLostTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;
  private final Instant at = Instant.parse("2026-11-30T05:00:00Z");

  @BeforeEach
  void newTask() {
    task = fixture.newTaskWithEmptyQueue();
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void aJournalThatStartsMidWayRecoversToADeadLetterThatNamesTheLoss() {
    task.kit().initialize(
        new TaskEntity.AttemptStarted(1, TaskEntityFixture.NODE, at),
        new TaskEntity.AttemptSucceeded(1, JsonNodeFactory.instance.objectNode(), at.plusMillis(5)));

    TaskEntity.State state = awaitState(task, s -> s.deadLetter() != null && s.deadLetter().filed());
    assertEquals(TaskStatus.DEAD_LETTERED, state.status());
    assertEquals(TaskEntity.State.HISTORY_LOST, state.lastError().type());
    assertTrue(state.lastError().message().contains("AttemptStarted found with no submission before it"),
        state.lastError().message());
    assertEquals(TaskSpec.LOST_TYPE, state.spec().type());
    assertEquals(task.id(), fixture.filed.peek().taskId(), "operators find it among the dead letters");

    TaskView view = readable();
    assertEquals(TaskStatus.DEAD_LETTERED, view.status());

    var redrive = task.kit().<TaskEntity.RedriveReply>runCommand(replyTo -> new TaskEntity.Redrive(null, replyTo));
    assertInstanceOf(TaskEntity.RedriveRefused.class, redrive.reply(), "nothing is left to run again");
  }

  @Test
  void aGapAfterTheSubmissionKeepsWhatIsKnownAndCanBeRedriven() {
    task.kit().initialize(
        new TaskEntity.Submitted(fixture.spec("noop", "{}"), at),
        new TaskEntity.AttemptStarted(1, TaskEntityFixture.NODE, at),
        new TaskEntity.AttemptStarted(3, TaskEntityFixture.NODE, at.plusSeconds(1)),
        new TaskEntity.AttemptSucceeded(3, JsonNodeFactory.instance.objectNode(), at.plusSeconds(2)));

    TaskEntity.State state = awaitState(task, s -> s.deadLetter() != null && s.deadLetter().filed());
    assertEquals("noop", state.spec().type());
    assertTrue(state.lastError().message().contains("attempt 3 after 1 attempts"), state.lastError().message());
    assertEquals(AttemptOutcome.NODE_LOST, state.history().get(0).outcome(), "the attempt cut short by the gap ended");
    assertEquals("noop", fixture.filed.peek().type());

    var redrive = task.kit().<TaskEntity.RedriveReply>runCommand(replyTo -> new TaskEntity.Redrive(null, replyTo));
    assertInstanceOf(TaskEntity.RedriveAccepted.class, redrive.reply());
    TaskEntity.State redriven = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(2, redriven.attempts(), "the lost attempt and the redriven one");

    task.kit().restart();
    assertEquals(TaskStatus.SUCCEEDED, task.kit().getState().status(), "the same end after another recovery");
  }

  private TaskView readable() {
    var get = task.kit().<TaskEntity.GetReply>runCommand(TaskEntity.Get::new);
    return assertInstanceOf(TaskEntity.Found.class, get.reply()).task();
  }
}
