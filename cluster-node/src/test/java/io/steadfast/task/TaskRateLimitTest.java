package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.steadfast.protocol.TaskStatus;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** How a task meets its type's rate limit on its node. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskRateLimitTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTask();
    fixture.ratePermits.reset();
  }

  @AfterEach
  void cancelWhatIsLeft() {
    task.kit().runCommand(TaskEntity.Cancel::new);
    fixture.ratePermits.reset();
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void withoutAPermitTheTaskWaitsRateLimitedWithoutSpendingAnAttemptThenRunsWhenOneComes() {
    fixture.ratePermits.limited.put("noop", 0);

    submit(task, fixture.spec("noop", "{}"));

    TaskEntity.State waiting = awaitState(task, s -> s.status() == TaskStatus.RATE_LIMITED);
    assertEquals(0, waiting.attempts(), "waiting for a permit spends no attempt");
    TaskEntityFixture.expectNothingMoreWritten(task, Duration.ofMillis(200));

    fixture.ratePermits.release("noop", 1);
    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(1, done.attempts());
    assertEquals(0, fixture.ratePermits.limited.get("noop"), "the permit was used");
  }

  @Test
  void aHeldPermitStartsTheTaskAtOnce() {
    fixture.ratePermits.limited.put("noop", 1);

    submit(task, fixture.spec("noop", "{}"));

    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(1, done.attempts());
    assertEquals(0, fixture.ratePermits.limited.get("noop"));
  }

  @Test
  void aCancelledRateLimitedTaskGivesTheLatePermitBack() {
    fixture.ratePermits.limited.put("noop", 0);
    submit(task, fixture.spec("noop", "{}"));
    awaitState(task, s -> s.status() == TaskStatus.RATE_LIMITED);

    var reply = task.kit().<TaskEntity.CancelReply>runCommand(TaskEntity.Cancel::new);
    assertEquals(TaskStatus.CANCELLED, assertInstanceOf(TaskEntity.CancelAccepted.class, reply.reply()).task().status());

    fixture.ratePermits.release("noop", 1);
    TaskEntityFixture.expectNothingMoreWritten(task, Duration.ofMillis(300));
    assertEquals(0, task.kit().getState().attempts());
    io.steadfast.testing.Waiting.waitFor("the unused permit back in the pool")
        .until(() -> fixture.ratePermits.limited.get("noop") == 1);
  }
}
