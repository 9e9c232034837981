package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.steadfast.execution.AttemptRunner;
import io.steadfast.handlers.HandlerRegistry;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskEntityTest {
  private static final String NODE = "127.0.0.1:2551";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Test task types: real handlers, tiny delays and timeouts. */
  private static final Config TYPES =
      ConfigFactory.parseString(
          """
          steadfast.task-defaults {
            max-attempts = 3
            attempt-timeout = 5s
            retry { strategy = fixed, initial-delay = 20ms, multiplier = 1.0, max-delay = 1s }
          }
          steadfast.task-types {
            noop { handler = noop }
            flaky { handler = flaky }
            sleep { handler = sleep, max-attempts = 2, attempt-timeout = 300ms }
            patient-sleep { handler = sleep, attempt-timeout = 1h }
          }
          """);

  private final ActorTestKit actorTestKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(PersistenceTestKitSnapshotPlugin.config())
              .withFallback(ConfigFactory.parseResources("serialization.conf"))
              .resolve());
  private final ExecutorService handlerPool = Executors.newCachedThreadPool();
  private final TaskTypes types = TaskTypes.fromConfig(TYPES, HandlerRegistry.load(TYPES));
  private final TaskRuntime runtime =
      new TaskRuntime(types, new AttemptRunner(handlerPool), NODE, Clock.systemUTC(), 4, Duration.ofMinutes(1));

  private TestProbe<ClusterSharding.ShardCommand> shard;
  private EventSourcedBehaviorTestKit<TaskEntity.Command, TaskEntity.Event, TaskEntity.State> task;
  private int taskNumber;

  @BeforeEach
  void newTask() {
    shard = actorTestKit.createTestProbe();
    String id = "task-" + (++taskNumber);
    task = EventSourcedBehaviorTestKit.create(actorTestKit.system(), TaskEntity.create(id, runtime, shard.ref()));
  }

  @AfterAll
  void shutdown() {
    actorTestKit.shutdownTestKit();
    handlerPool.shutdownNow();
  }

  @Test
  void acceptsATaskAndRunsItToSucceeded() {
    var result = task.<TaskEntity.SubmitReply>runCommand(replyTo -> new TaskEntity.Submit(spec("noop", "{}"), replyTo));

    TaskEntity.Accepted accepted = assertInstanceOf(TaskEntity.Accepted.class, result.reply());
    assertEquals(TaskStatus.PENDING, accepted.task().status());
    assertInstanceOf(TaskEntity.Submitted.class, result.event());

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(1, done.attempts());
    TaskEntity.Attempt attempt = done.history().get(0);
    assertEquals(NODE, attempt.node());
    assertEquals(AttemptOutcome.SUCCEEDED, attempt.outcome());
    assertNotNull(attempt.endedAt());
    assertNull(done.nextAttemptAt());
  }

  @Test
  void retriesRetryableFailuresUntilTheAttemptThatSucceeds() {
    submit(spec("flaky", "{\"failTimes\": 2, \"error\": \"retryable\"}"));

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(
        List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertEquals("FLAKY", done.lastError().type());
    assertTrue(done.lastError().retryable());
    assertEquals(3, done.result().get("succeededOnAttempt").asInt());
  }

  @Test
  void deadLettersATaskWhoseAttemptsAreSpent() {
    submit(spec("flaky", "{\"failTimes\": 10}"));

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(
        List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.FAILED), outcomes(done));
    assertNull(done.nextAttemptAt());
    assertEquals("flaky failure 3 of 10", done.lastError().message());
  }

  @Test
  void deadLettersAtOnceOnAPermanentError() {
    submit(spec("flaky", "{\"failTimes\": 1, \"error\": \"permanent\"}"));

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.FAILED), outcomes(done));
    assertEquals(false, done.lastError().retryable());
  }

  @Test
  void recordsAHungAttemptAsTimedOutAndRetriesIt() {
    submit(spec("sleep", "{\"durationMs\": 60000}"));

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.DEAD_LETTERED);
    assertEquals(List.of(AttemptOutcome.TIMED_OUT, AttemptOutcome.TIMED_OUT), outcomes(done));
    assertEquals("TIMED_OUT", done.lastError().type());
  }

  @Test
  void resubmittingTheSameRequestReturnsTheSameTask() {
    TaskSpec spec = spec("patient-sleep", "{\"durationMs\": 60000, \"n\": 1}");
    submit(spec);
    TaskSpec same = spec("patient-sleep", "{\"n\": 1.0, \"durationMs\": 60000}");

    var again = task.<TaskEntity.SubmitReply>runCommand(replyTo -> new TaskEntity.Submit(same, replyTo));

    assertInstanceOf(TaskEntity.AlreadySubmitted.class, again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void resubmittingADifferentRequestUnderTheSameIdConflicts() {
    submit(spec("patient-sleep", "{\"durationMs\": 60000}"));

    var other = task.<TaskEntity.SubmitReply>runCommand(
        replyTo -> new TaskEntity.Submit(spec("patient-sleep", "{\"durationMs\": 1}"), replyTo));

    assertInstanceOf(TaskEntity.IdempotencyConflict.class, other.reply());
    assertTrue(other.hasNoEvents());
  }

  @Test
  void readingAnUnknownTaskAnswersNotFoundAndLeavesNothingBehind() {
    var result = task.<TaskEntity.GetReply>runCommand(TaskEntity.Get::new);

    assertInstanceOf(TaskEntity.NotFound.class, result.reply());
    assertTrue(result.hasNoEvents());
    shard.expectMessageClass(ClusterSharding.Passivate.class);
  }

  @Test
  void anAttemptRunningWhenTheTaskStoppedIsRecordedNodeLostAndRunAgain() {
    Instant at = Instant.now();
    task.initialize(
        new TaskEntity.Submitted(spec("noop", "{}"), at),
        new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at));

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.NODE_LOST, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertEquals("127.0.0.1:2552", done.history().get(0).node());
    assertEquals(NODE, done.history().get(1).node());
    assertEquals("NODE_LOST", done.history().get(0).error().type());
  }

  @Test
  void recoversFromEventsWithTheSameStateAsBefore() {
    submit(spec("flaky", "{\"failTimes\": 1}"));
    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.SUCCEEDED);

    TaskEntity.State recovered = task.restart().state();

    assertEquals(done, recovered);
  }

  @Test
  void resumesABackoffFromASnapshotAfterRecovery() {
    Instant at = Instant.now();
    TaskEntity.State waiting =
        new TaskEntity.State("task-" + taskNumber, null, null, null, null, null, null, null, null, List.of())
            .apply(new TaskEntity.Submitted(spec("flaky", "{\"failTimes\": 1}"), at))
            .apply(new TaskEntity.AttemptStarted(1, "127.0.0.1:2552", at))
            .apply(
                new TaskEntity.AttemptFailed(
                    1, AttemptOutcome.FAILED, new io.steadfast.protocol.TaskError("FLAKY", "x", true),
                    at.plusMillis(200), at));
    task.initialize(waiting);

    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.SUCCEEDED);
    assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED), outcomes(done));
    assertTrue(
        !done.history().get(1).startedAt().isBefore(at.plusMillis(200)),
        "the second attempt waited for the persisted next-attempt time");
  }

  @Test
  void takesSnapshotsAsEventsAccumulate() {
    submit(spec("flaky", "{\"failTimes\": 2}"));
    TaskEntity.State done = awaitState(s -> s.status() == TaskStatus.SUCCEEDED);

    // 7 events with a snapshot every 4: the snapshot holds the state after the 4th event.
    var snapshots = task.snapshotTestKit().orElseThrow();
    var snapshot = snapshots.expectNextPersistedClass("Task|task-" + taskNumber, TaskEntity.State.class);
    assertEquals(TaskStatus.RUNNING, snapshot.status());
    assertEquals(2, snapshot.attempts());
    assertEquals(done, task.restart().state());
  }

  // ---------------------------------------------------------------- helpers

  private TaskSpec spec(String type, String payload) {
    try {
      JsonNode json = JSON.readTree(payload);
      return types.find(type).orElseThrow().newSpec(json, null);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private void submit(TaskSpec spec) {
    var result = task.<TaskEntity.SubmitReply>runCommand(replyTo -> new TaskEntity.Submit(spec, replyTo));
    assertInstanceOf(TaskEntity.Accepted.class, result.reply());
  }

  private TaskEntity.State awaitState(Predicate<TaskEntity.State> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    TaskEntity.State state = task.getState();
    while (!condition.test(state)) {
      if (System.nanoTime() > deadline) fail("state never matched; last: " + state);
      sleep(20);
      state = task.getState();
    }
    return state;
  }

  private static List<AttemptOutcome> outcomes(TaskEntity.State state) {
    return state.history().stream().map(TaskEntity.Attempt::outcome).toList();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
