package io.steadfast.task;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.steadfast.execution.Bulkheads;
import io.steadfast.handlers.HandlerRegistry;
import io.steadfast.handlers.TaskContext;
import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.AttemptOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * One actor system with the persistence test kit (or another journal), real handlers (plus {@code
 * throwing}, which throws the exception class named in its payload) and task types with tiny delays.
 */
final class TaskEntityFixture implements AutoCloseable {
  static final String NODE = "127.0.0.1:2551";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Config TYPES =
      ConfigFactory.parseString(
              """
              steadfast.task-defaults {
                max-attempts = 3
                attempt-timeout = 5s
                retry { strategy = fixed, initial-delay = 20ms, multiplier = 1.0, max-delay = 1s, jitter = none }
              }
              steadfast.task-types {
                noop { handler = noop }
                flaky { handler = flaky, max-attempts = 3, retry.initial-delay = 20ms }
                once { handler = flaky, max-attempts = 1 }
                slow-retry { handler = flaky, retry.initial-delay = 1h, retry.max-delay = 1h }
                sleep { handler = sleep, max-attempts = 2, attempt-timeout = 300ms }
                patient-sleep { handler = sleep, attempt-timeout = 1h }
                classified {
                  handler = throwing
                  retry-on = ["java.io.IOException"]
                  abort-on = ["java.lang.IllegalArgumentException"]
                }
                narrow { handler = sleep, bulkhead { concurrency = 1, max-queue = 5 }, attempt-timeout = 1h }
              }
              """)
          .withFallback(ConfigFactory.parseResources("steadfast.conf").withoutPath("steadfast.task-types"))
          .resolve();

  /** Throws {@code {"throw": "fully.qualified.ExceptionClass"}} with message "boom". */
  static final class ThrowingHandler implements TaskHandler {
    @Override
    public String name() {
      return "throwing";
    }

    @Override
    public JsonNode execute(TaskContext context) throws Exception {
      String className = context.payload().path("throw").asText();
      throw (Exception) Class.forName(className).getConstructor(String.class).newInstance("boom");
    }
  }

  final ActorTestKit actorTestKit;
  final TaskTypes types =
      TaskTypes.fromConfig(
          TYPES,
          HandlerRegistry.of(
              new io.steadfast.handlers.NoopHandler(),
              new io.steadfast.handlers.FlakyHandler(),
              new io.steadfast.handlers.SleepHandler(),
              new io.steadfast.handlers.HttpHandler(),
              new ThrowingHandler()));
  final TestClock clock = new TestClock();
  final StubBreakers breakers = new StubBreakers();
  final RecordingTaskMetrics metrics = new RecordingTaskMetrics();
  final StubRatePermits ratePermits = new StubRatePermits();
  final TaskRuntime runtime;
  /** Dead letters handed to the (stand-in) queue, in order, including refused ones. */
  final java.util.concurrent.ConcurrentLinkedQueue<io.steadfast.dlq.DeadLetterQueue.Entry> filed =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** How many filings the stand-in queue still refuses (to test that filing is retried). */
  final java.util.concurrent.atomic.AtomicInteger refuseFilings = new java.util.concurrent.atomic.AtomicInteger();
  private int taskNumber;

  /** On the persistence test kit, for the event-sourced behavior test kit. */
  TaskEntityFixture() {
    this(EventSourcedBehaviorTestKit.config().withFallback(PersistenceTestKitSnapshotPlugin.config()));
  }

  /** @param persistence the journal and snapshot store the entities run on */
  TaskEntityFixture(Config persistence) {
    actorTestKit =
        ActorTestKit.create(persistence.withFallback(ConfigFactory.parseResources("serialization.conf")).resolve());
    runtime =
        new TaskRuntime(
            types,
            Bulkheads.start(actorTestKit.system(), types.bulkheads()),
            NODE,
            clock,
            new Random(42),
            4,
            Duration.ofMinutes(1),
            this::fileDeadLetter,
            breakers,
            metrics,
            StepLink.Reporter.NONE,
            ratePermits);
  }

  private java.util.concurrent.CompletionStage<org.apache.pekko.Done> fileDeadLetter(
      io.steadfast.dlq.DeadLetterQueue.Entry entry) {
    filed.add(entry);
    if (refuseFilings.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("queue unavailable"));
    }
    return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
  }

  /** A fresh task entity under the event-sourced test kit, and the probe standing in for its shard. */
  record Task(
      String id,
      EventSourcedBehaviorTestKit<TaskEntity.Command, TaskEntity.Event, TaskEntity.State> kit,
      TestProbe<ClusterSharding.ShardCommand> shard) {}

  Task newTask() {
    String id = "task-" + (++taskNumber);
    TestProbe<ClusterSharding.ShardCommand> shard = actorTestKit.createTestProbe();
    return new Task(
        id,
        EventSourcedBehaviorTestKit.create(actorTestKit.system(), TaskEntity.create(id, runtime, shard.ref())),
        shard);
  }

  /** A fresh task, with the stand-in dead-letter queue emptied and accepting every filing. */
  Task newTaskWithEmptyQueue() {
    filed.clear();
    refuseFilings.set(0);
    return newTask();
  }

  TaskSpec spec(String type, String payload) {
    return specAt(type, payload, null);
  }

  TaskSpec specAt(String type, String payload, Instant runAt) {
    try {
      TaskType taskType = types.find(type).orElseThrow();
      return new TaskSpec(
          type, JSON.readTree(payload), null, taskType.retryPolicy(), taskType.attemptTimeoutMs(),
          TaskSpec.DEFAULT_PRIORITY, runAt);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static TaskEntity.Accepted submit(Task task, TaskSpec spec) {
    var result = task.kit().<TaskEntity.SubmitReply>runCommand(replyTo -> new TaskEntity.Submit(spec, replyTo));
    return assertInstanceOf(TaskEntity.Accepted.class, result.reply());
  }

  /** The task's state once it matches {@code condition}; a timeout shows the last state seen. */
  static TaskEntity.State awaitState(Task task, Predicate<TaskEntity.State> condition) {
    return waitFor("the state of " + task.id()).until(task.kit()::getState, condition);
  }

  /**
   * Fails if {@code task} writes any event within {@code quiet}, after those it wrote so far: the
   * silence that shows a step started nothing (an attempt that starts is written at once). Once
   * per task: it takes every event written so far as seen.
   */
  static void expectNothingMoreWritten(Task task, Duration quiet) {
    PersistenceTestKit journal = task.kit().persistenceTestKit();
    String persistenceId = "Task|" + task.id();
    journal.receivePersisted(persistenceId, journal.persistedInStorage(persistenceId).size(), Object.class);
    journal.expectNothingPersisted(persistenceId, quiet);
  }

  static List<AttemptOutcome> outcomes(TaskEntity.State state) {
    return state.history().stream().map(TaskEntity.Attempt::outcome).toList();
  }

  @Override
  public void close() {
    actorTestKit.shutdownTestKit();
  }
}
