package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.protocol.TaskStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** What a task entity counts, once, after persisting: replays and recoveries count nothing again. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskMetricsTest {
  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTask();
    fixture.metrics.clear();
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void aSucceedingTaskCountsItsSubmissionFirstStartAndAttempt() {
    submit(task, fixture.spec("noop", "{}"));
    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);

    List<String> expected = List.of("submitted noop", "first-attempt noop", "attempt noop SUCCEEDED");
    assertEquals(expected, fixture.metrics.of("noop"));
    long waitMs = fixture.metrics.firstWaitsMs().get(0);
    assertTrue(waitMs >= 0 && waitMs < 5_000, "waited " + waitMs + " ms");

    task.kit().restart(); // replays every event
    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(expected, fixture.metrics.of("noop"), "a replay counts nothing again");
  }

  @Test
  void failuresAndTheDeadLetterAreCounted() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 9}"));
    awaitState(task, s -> s.status() == TaskStatus.DEAD_LETTERED);

    assertEquals(
        List.of("submitted flaky", "first-attempt flaky", "attempt flaky FAILED", "attempt flaky FAILED",
            "attempt flaky FAILED", "dead-lettered flaky"),
        fixture.metrics.of("flaky"));
  }

  @Test
  void aRateLimitedAttemptHasItsOwnOutcome() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1, \"error\": \"rateLimited\", \"retryAfterMs\": 10}"));
    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);

    assertEquals(
        List.of("submitted flaky", "first-attempt flaky", "attempt flaky RATE_LIMITED", "attempt flaky SUCCEEDED"),
        fixture.metrics.of("flaky"));
  }

  @Test
  void aTaskRecoveredElsewhereCountsOnlyWhatHappensThere() {
    Instant at = Instant.now();
    task.kit().initialize(
        new TaskEntity.Submitted(fixture.spec("noop", "{}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at));

    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of("attempt noop NODE_LOST", "attempt noop SUCCEEDED"), fixture.metrics.of("noop"));
  }
}
