package io.steadfast.task;

import static io.steadfast.task.TaskEntityFixture.awaitState;
import static io.steadfast.task.TaskEntityFixture.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.breaker.BreakerSettings;
import io.steadfast.breaker.BreakerStatus;
import io.steadfast.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** How a task meets its type's circuit breaker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskBreakerTest {
  private static final BreakerSettings QUICK =
      new BreakerSettings(1, 0, 20, 10, Duration.ofMillis(400), 1.0, Duration.ofMillis(400), 1, 20);

  private final TaskEntityFixture fixture = new TaskEntityFixture();
  private TaskEntityFixture.Task task;

  @BeforeEach
  void newTask() {
    task = fixture.newTask();
    fixture.breakers.reset();
    fixture.clock.reset();
  }

  /** A task still deferred would run later, during another test, and report to its breaker. */
  @AfterEach
  void cancelWhatIsLeft() {
    task.kit().runCommand(TaskEntity.Cancel::new);
  }

  @AfterAll
  void shutdown() {
    fixture.close();
  }

  @Test
  void whileTheBreakerIsOpenTheTaskIsDeferredWithoutSpendingAnAttempt() {
    BreakerStatus open = BreakerStatus.closed().onFailure(Instant.now(), QUICK);
    fixture.breakers.statuses.put("noop", open);

    submit(task, fixture.spec("noop", "{}"));

    TaskEntity.State deferred = awaitState(task, s -> s.status() == TaskStatus.DEFERRED);
    assertEquals(0, deferred.attempts());
    assertFalse(deferred.nextAttemptAt().isBefore(open.halfOpenAt()), "deferred to the half-open time");

    fixture.breakers.statuses.put("noop", BreakerStatus.closed());
    TaskEntity.State done = awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(1, done.attempts());
  }

  @Test
  void cancellingADeferredTaskEndsItAtOnce() {
    fixture.breakers.statuses.put("noop", BreakerStatus.closed().forceOpen(Instant.now(), "test", QUICK));
    submit(task, fixture.spec("noop", "{}"));
    awaitState(task, s -> s.status() == TaskStatus.DEFERRED);

    var reply = task.kit().<TaskEntity.CancelReply>runCommand(TaskEntity.Cancel::new);

    assertEquals(TaskStatus.CANCELLED,
        org.junit.jupiter.api.Assertions.assertInstanceOf(TaskEntity.CancelAccepted.class, reply.reply()).task().status());
    fixture.breakers.statuses.put("noop", BreakerStatus.closed());
    fixture.clock.advance(Duration.ofMinutes(1)); // the deferral would be over now
    task.kit().runCommand(TaskEntity.Wake.INSTANCE);
    TaskEntityFixture.expectNothingMoreWritten(task, Duration.ofMillis(300));
    assertEquals(0, task.kit().getState().attempts(), "no attempt after the cancel");
  }

  @Test
  void aForcedOpenBreakerDefersTasksUntilReset() {
    fixture.breakers.statuses.put("noop", BreakerStatus.closed().forceOpen(Instant.now(), "test", QUICK));

    submit(task, fixture.spec("noop", "{}"));

    TaskEntity.State deferred = awaitState(task, s -> s.status() == TaskStatus.DEFERRED);
    assertEquals(0, deferred.attempts());
    assertFalse(
        deferred.nextAttemptAt().isBefore(deferred.createdAt().plus(BreakerStatus.FORCED_OPEN_RECHECK)),
        "no time is known until a reset: it looks again when the breaker's rule says");
  }

  @Test
  void whileHalfOpenAGrantedTrialRunsAndItsResultIsReportedAsATrial() {
    Instant now = Instant.now();
    BreakerStatus halfOpen = BreakerStatus.closed().onFailure(now, QUICK).advance(now.plusSeconds(1), QUICK);
    fixture.breakers.statuses.put("noop", halfOpen);

    submit(task, fixture.spec("noop", "{}"));

    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(new StubBreakers.Report("noop", false, true)), fixture.breakers.reports);
  }

  @Test
  void whileHalfOpenATaskRefusedATrialIsDeferredForAsLongAsTheBreakersAnswerSays() {
    Instant now = Instant.now();
    BreakerStatus halfOpen = BreakerStatus.closed().onFailure(now, QUICK).advance(now.plusSeconds(1), QUICK);
    fixture.breakers.statuses.put("noop", halfOpen); // this node's copy: a trial is free
    fixture.breakers.refuseTrialsWith = halfOpen.grantTrial(now, QUICK).status(); // another node took it

    submit(task, fixture.spec("noop", "{}"));

    TaskEntity.State deferred = awaitState(task, s -> s.status() == TaskStatus.DEFERRED);
    assertEquals(0, deferred.attempts());
    assertFalse(
        deferred.nextAttemptAt().isBefore(deferred.createdAt().plus(BreakerStatus.HALF_OPEN_RECHECK)),
        "its trials are all out: it looks again when the breaker's rule says");
  }

  @Test
  void onlyRetryableFailuresCountAgainstTheBreaker() {
    submit(task, fixture.spec("flaky", "{\"failTimes\": 1, \"error\": \"retryable\"}"));
    awaitState(task, s -> s.status() == TaskStatus.SUCCEEDED);
    TaskEntityFixture.Task permanent = fixture.newTask();
    submit(permanent, fixture.spec("flaky", "{\"failTimes\": 1, \"error\": \"permanent\"}"));
    awaitState(permanent, s -> s.status() == TaskStatus.DEAD_LETTERED);

    assertEquals(
        List.of(new StubBreakers.Report("flaky", true, false), new StubBreakers.Report("flaky", false, false)),
        fixture.breakers.reports,
        "a retryable failure then a success; the permanent failure was not reported");
  }

  @Test
  void aTimedOutAttemptCountsAgainstTheBreaker() {
    submit(task, fixture.spec("sleep", "{\"durationMs\": 60000}"));
    awaitState(task, s -> s.status() == TaskStatus.DEAD_LETTERED);

    assertTrue(fixture.breakers.reports.stream().allMatch(StubBreakers.Report::failure));
    assertEquals(2, fixture.breakers.reports.size());
  }
}
