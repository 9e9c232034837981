package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.execution.AttemptResult;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.task.TaskEntity.AttemptFailed;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.AttemptSucceeded;
import io.steadfast.task.TaskEntity.CancellationRequested;
import io.steadfast.task.TaskEntity.Cancelled;
import io.steadfast.task.TaskEntity.DeadLetterFiled;
import io.steadfast.task.TaskEntity.DeadLettered;
import io.steadfast.task.TaskEntity.Event;
import io.steadfast.task.TaskEntity.Redriven;
import io.steadfast.task.TaskEntity.State;
import io.steadfast.task.TaskEntity.Submitted;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The rules of a task's life, with a fixed clock and a seeded random source: no actor runs here. */
class TaskLifecycleTest {
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  private static final long SEED = 42;
  private static final String NODE = "127.0.0.1:2551";
  private static final JsonNode NOTHING = JsonNodeFactory.instance.objectNode();
  private static final TaskError RETRYABLE = new TaskError("IO", "connection reset", true);
  private static final TaskError PERMANENT = new TaskError("BAD_INPUT", "no such account", false);

  /** 3 attempts; 100 ms doubling to at most 1 s, drawn between 100 ms and 3 × the last delay. */
  private static final RetryPolicy POLICY =
      new RetryPolicy(RetryPolicy.Strategy.EXPONENTIAL, 100, 2.0, 1_000, RetryPolicy.Jitter.DECORRELATED, 0.0, 3);

  private static Instant at(long ms) {
    return T0.plusMillis(ms);
  }

  private static State replayed(Event... events) {
    State state = State.empty("t-1");
    for (Event event : events) state = TaskLifecycle.apply(state, event);
    return state;
  }

  private static Submitted submitted() {
    TaskSpec spec = new TaskSpec("email", NOTHING, null, POLICY, 5_000, TaskSpec.DEFAULT_PRIORITY, null);
    return new Submitted(spec, T0);
  }

  /** Submitted at T0; attempt 1 started at T0 and still runs. */
  private static State firstAttemptRunning() {
    return replayed(submitted(), new AttemptStarted(1, NODE, T0));
  }

  /** Two attempts failed (the second after a 300 ms wait); the third, the last allowed, runs. */
  private static State lastAttemptRunning() {
    return replayed(
        submitted(),
        new AttemptStarted(1, NODE, T0),
        new AttemptFailed(1, AttemptOutcome.FAILED, RETRYABLE, at(200), true, at(100)),
        new AttemptStarted(2, NODE, at(200)),
        new AttemptFailed(2, AttemptOutcome.FAILED, RETRYABLE, at(600), true, at(300)),
        new AttemptStarted(3, NODE, at(600)));
  }

  private static State cancelRequestedWhileRunning() {
    return TaskLifecycle.apply(firstAttemptRunning(), new CancellationRequested(at(10)));
  }

  // ---------------------------------------------------------------- after a handler returns

  @Test
  void aRetryableFailureWithAttemptsLeftWaitsThePolicysBackoffDrawnFromTheRandomSourceGiven() {
    State running = TaskLifecycle.apply(
        replayed(submitted(), new AttemptStarted(1, NODE, T0),
            new AttemptFailed(1, AttemptOutcome.FAILED, RETRYABLE, at(400), true, at(100))),
        new AttemptStarted(2, NODE, at(400)));

    List<Event> events =
        TaskLifecycle.afterResult(running, new AttemptResult.Failed(RETRYABLE), at(500), new Random(SEED));

    long expected = POLICY.delayAfterAttemptMs(2, 300, new Random(SEED)); // grows from the 300 ms waited before
    assertEquals(List.of(new AttemptFailed(2, AttemptOutcome.FAILED, RETRYABLE, at(500 + expected), true, at(500))), events);
    assertEquals(TaskStatus.RETRY_WAIT, TaskLifecycle.apply(running, events.get(0)).status());
  }

  @Test
  void theLastAllowedAttemptsFailureDeadLettersTheTask() {
    List<Event> events =
        TaskLifecycle.afterResult(lastAttemptRunning(), new AttemptResult.Failed(RETRYABLE), at(700), new Random(SEED));

    assertEquals(
        List.of(
            new AttemptFailed(3, AttemptOutcome.FAILED, RETRYABLE, null, true, at(700)),
            new DeadLettered("attempts exhausted (3 of 3)", at(700))),
        events);
  }

  @Test
  void aPermanentFailureDeadLettersTheTaskAtOnce() {
    List<Event> events =
        TaskLifecycle.afterResult(firstAttemptRunning(), new AttemptResult.Failed(PERMANENT), at(50), new Random(SEED));

    assertEquals(new DeadLettered("permanent failure: BAD_INPUT", at(50)), events.get(1));
    assertNull(((AttemptFailed) events.get(0)).nextAttemptAt());
  }

  @Test
  void aHandlersRetryAfterReplacesTheBackoffButNotBeyondThePolicysCap() {
    Random random = new Random(SEED);
    List<Event> events = TaskLifecycle.afterResult(
        firstAttemptRunning(), new AttemptResult.Failed(RETRYABLE, Duration.ofMinutes(5)), at(50), random);

    assertEquals(at(50 + 1_000), ((AttemptFailed) events.get(0)).nextAttemptAt(), "capped at the policy's 1 s");
    assertEquals(new Random(SEED).nextLong(), random.nextLong(), "no backoff was drawn");
  }

  @Test
  void aRateLimitedAttemptComesBackLaterWithoutSpendingTheBudget() {
    List<Event> events = TaskLifecycle.afterResult(
        firstAttemptRunning(), new AttemptResult.RateLimited("slow down", Duration.ofMillis(250)), at(50),
        new Random(SEED));

    TaskError limited = new TaskError("RATE_LIMITED", "slow down", true);
    assertEquals(List.of(new AttemptFailed(1, AttemptOutcome.FAILED, limited, at(300), false, at(50))), events);
    assertEquals(0, TaskLifecycle.apply(firstAttemptRunning(), events.get(0)).countedAttempts());
  }

  @Test
  void aResultIsKeptEvenWhenACancelCameTooLateToStopTheWork() {
    JsonNode result = JsonNodeFactory.instance.objectNode().put("sent", true);

    List<Event> events = TaskLifecycle.afterResult(
        cancelRequestedWhileRunning(), new AttemptResult.Succeeded(result), at(50), new Random(SEED));

    assertEquals(List.of(new AttemptSucceeded(1, result, at(50))), events);
  }

  @Test
  void aFailureAfterACancelEndsTheTaskCancelled() {
    List<Event> events = TaskLifecycle.afterResult(
        cancelRequestedWhileRunning(), new AttemptResult.Failed(RETRYABLE), at(50), new Random(SEED));

    assertEquals(2, events.size());
    AttemptFailed failed = (AttemptFailed) events.get(0);
    assertEquals(AttemptOutcome.CANCELLED, failed.outcome());
    assertFalse(failed.error().retryable());
    assertEquals(new Cancelled(at(50)), events.get(1));
  }

  // ---------------------------------------------------------------- after a timeout, a lost node, a hand-off

  @Test
  void aTimedOutAttemptIsARetryableFailureWithTheBackoff() {
    List<Event> events = TaskLifecycle.afterTimeout(firstAttemptRunning(), at(5_000), new Random(SEED));

    long expected = POLICY.delayAfterAttemptMs(1, 0, new Random(SEED));
    TaskError timedOut = TaskError.timedOut(5_000);
    assertEquals(
        List.of(new AttemptFailed(1, AttemptOutcome.TIMED_OUT, timedOut, at(5_000 + expected), true, at(5_000))), events);
  }

  @Test
  void aTimedOutAttemptOfACancelledTaskEndsIt() {
    List<Event> events = TaskLifecycle.afterTimeout(cancelRequestedWhileRunning(), at(5_000), new Random(SEED));

    assertEquals(AttemptOutcome.TIMED_OUT, ((AttemptFailed) events.get(0)).outcome());
    assertEquals(new Cancelled(at(5_000)), events.get(1));
  }

  @Test
  void anAttemptWhoseNodeWasLostIsTriedAgainAtOnce() {
    List<Event> events = TaskLifecycle.afterNodeLost(firstAttemptRunning(), at(9_000));

    assertEquals(
        List.of(new AttemptFailed(1, AttemptOutcome.NODE_LOST, TaskError.nodeLost(NODE), at(9_000), true, at(9_000))),
        events);
  }

  @Test
  void aHandedOffAttemptKeepsItsResultOrElseIsDueAgainAtOnceWithoutCounting() {
    Event kept = TaskLifecycle.afterHandOff(firstAttemptRunning(), new AttemptResult.Succeeded(NOTHING), NODE, at(80));
    Event stopped = TaskLifecycle.afterHandOff(firstAttemptRunning(), null, NODE, at(80));

    assertEquals(new AttemptSucceeded(1, NOTHING, at(80)), kept);
    AttemptFailed handedOff = (AttemptFailed) stopped;
    assertEquals(AttemptOutcome.HANDED_OFF, handedOff.outcome());
    assertFalse(handedOff.counted());
    assertEquals(at(80), handedOff.nextAttemptAt());
    assertTrue(handedOff.error().message().contains(NODE), handedOff.error().message());
  }

  // ---------------------------------------------------------------- how events change the state

  @Test
  void aRedriveStartsAFreshBudgetAndAttemptNumbersGoOn() {
    State redriven = replayed(
        submitted(),
        new AttemptStarted(1, NODE, T0),
        new AttemptFailed(1, AttemptOutcome.FAILED, PERMANENT, null, true, at(10)),
        new DeadLettered("permanent failure: BAD_INPUT", at(10)),
        new DeadLetterFiled(at(20)),
        new Redriven(null, at(30)));

    assertEquals(TaskStatus.PENDING, redriven.status());
    assertEquals(0, redriven.countedAttempts());
    assertTrue(redriven.isDue(2, at(30)), "attempt 2 is next, at once");
    assertNull(redriven.deadLetter());
  }

  @Test
  void aJournalThatDoesNotStartWithTheSubmissionEndsAsADeadLetterThatNamesTheLoss() {
    State state = replayed(new AttemptStarted(1, NODE, T0));

    assertEquals(TaskStatus.DEAD_LETTERED, state.status());
    assertEquals(State.HISTORY_LOST, state.lastError().type());
    assertEquals("the journal lost events of this task: AttemptStarted found with no submission before it",
        state.deadLetter().reason());
    assertEquals(TaskSpec.LOST_TYPE, state.spec().type());
    assertFalse(state.isRedrivable(), "nothing is left to run again");
  }

  @Test
  void aGapEndsTheRunningAttemptAndKeepsWhatIsKnown() {
    State state = replayed(submitted(), new AttemptStarted(1, NODE, T0), new AttemptStarted(3, NODE, at(10)));

    assertEquals(TaskStatus.DEAD_LETTERED, state.status());
    assertEquals("email", state.spec().type());
    assertEquals(AttemptOutcome.NODE_LOST, state.lastAttempt().outcome());
    assertTrue(state.deadLetter().reason().endsWith("attempt 3 after 1 attempts"), state.deadLetter().reason());
    assertTrue(state.isRedrivable());
  }

  @Test
  void afterALostHistoryOnlyEventsThatActOnTheDeadLetterApply() {
    State lost = replayed(submitted(), new AttemptStarted(2, NODE, T0));

    assertSame(lost, TaskLifecycle.apply(lost, new AttemptSucceeded(2, NOTHING, at(10))));
    assertTrue(TaskLifecycle.apply(lost, new DeadLetterFiled(at(10))).deadLetter().filed());
    State redriven = TaskLifecycle.apply(lost, new Redriven(null, at(20)));
    assertFalse(redriven.historyLost());
    assertEquals(TaskStatus.PENDING, redriven.status());
  }

  @Test
  void anAttemptIsDueOnlyWhenItIsTheNextOneAndItsTimeHasCome() {
    State waiting = replayed(
        submitted(),
        new AttemptStarted(1, NODE, T0),
        new AttemptFailed(1, AttemptOutcome.FAILED, RETRYABLE, at(300), true, at(100)));

    assertFalse(waiting.isDue(2, at(299)), "too early");
    assertTrue(waiting.isDue(2, at(300)));
    assertFalse(waiting.isDue(3, at(300)), "not the next attempt");
    assertFalse(firstAttemptRunning().isDue(1, at(300)), "running, not waiting");
  }
}
