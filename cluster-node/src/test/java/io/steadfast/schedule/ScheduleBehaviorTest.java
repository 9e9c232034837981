package io.steadfast.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskSpec;
import io.steadfast.testing.Waiting;
import io.steadfast.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A schedule entity firing ticks through a stand-in for the task entities, on a clock the test moves. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScheduleBehaviorTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00.200Z");
  private static final RetryPolicy POLICY = new RetryPolicy(RetryPolicy.Strategy.FIXED, 100, 1.0, 100, RetryPolicy.Jitter.NONE, 0, 3);

  private final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")).resolve());
  /** Fresh for each test: an entity of an earlier test may still fire on its timers. */
  private ManualClock clock;
  private StubTasks tasks;
  private String id;
  private int schedules;
  private EventSourcedBehaviorTestKit<ScheduleEntity.Command, ScheduleEntity.Event, ScheduleEntity.State> schedule;

  @BeforeEach
  void newSchedule() {
    clock = new ManualClock(T0);
    tasks = new StubTasks();
    id = "s" + ++schedules;
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    schedule = EventSourcedBehaviorTestKit.create(testKit.system(),
        ScheduleEntity.create(id, new ScheduleRuntime(tasks, clock, Duration.ofSeconds(30), "test-node"), shard.ref()));
    schedule.clear();
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void eachDueTickFiresOnceWithAKeyOfScheduleAndTick() {
    create(ScheduleSpec.Overlap.ALLOW);

    clock.set(T0.plusMillis(1000));
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);
    awaitFired(1);
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE); // the same tick again: nothing more

    String key = "schedule:" + id + ":2026-03-01T10:00:01.000Z";
    assertEquals(List.of(key), tasks.keys());
    ScheduleEntity.State state = schedule.getState();
    assertEquals(TaskSpec.idFor(key), state.lastTaskId());
    assertEquals(1, state.fired());
    assertEquals(Instant.parse("2026-03-01T10:00:01Z"), state.cursor());
  }

  @Test
  void withOverlapSkipATickIsSkippedWhileThePreviousRunHasNotEnded() {
    create(ScheduleSpec.Overlap.SKIP);
    clock.set(T0.plusMillis(1000));
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);
    awaitFired(1);

    tasks.previousStatus.set(TaskStatus.RUNNING);
    clock.set(T0.plusMillis(2000));
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);
    Waiting.waitFor("the tick skipped").until(() -> schedule.getState().skipped() == 1);

    tasks.previousStatus.set(TaskStatus.SUCCEEDED);
    clock.set(T0.plusMillis(3000));
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);
    awaitFired(2);
    assertEquals(List.of(key("10:00:01"), key("10:00:03")), tasks.keys());
  }

  @Test
  void aTickWhoseTaskDidNotAnswerIsSubmittedAgainUnderTheSameKeyAndRecordedOnce() {
    create(ScheduleSpec.Overlap.ALLOW);
    tasks.unanswered.set(1);
    clock.set(T0.plusMillis(1000));

    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);
    // The retry timer (1 s, real time) sends the tick again.
    awaitFired(1);

    assertEquals(List.of(key("10:00:01"), key("10:00:01")), tasks.keys());
  }

  @Test
  void aPausedScheduleFiresNothingAndResumesFromNowWithoutCatchingUp() {
    create(ScheduleSpec.Overlap.ALLOW);
    var paused = schedule.<ScheduleEntity.Reply>runCommand(ScheduleEntity.Pause::new);
    assertEquals("PAUSED", assertInstanceOf(ScheduleEntity.Found.class, paused.reply()).schedule().status());

    clock.set(T0.plusSeconds(10));
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);
    var resumed = schedule.<ScheduleEntity.Reply>runCommand(ScheduleEntity.Resume::new);
    clock.set(T0.plusMillis(10_700)); // 10:00:10.900: the first tick after the resume is not due yet
    schedule.runCommand(ScheduleEntity.Tick.INSTANCE);

    assertEquals(List.of(), tasks.keys(), "nothing fired while paused, nor for the ticks it missed");
    assertEquals("2026-03-01T10:00:11.000Z",
        assertInstanceOf(ScheduleEntity.Found.class, resumed.reply()).schedule().nextFireTimes().get(0));
  }

  @Test
  void theSameScheduleAgainIsAcceptedAndADifferentOneUnderItsIdIsAConflict() {
    create(ScheduleSpec.Overlap.ALLOW);

    assertInstanceOf(ScheduleEntity.AlreadyExists.class,
        schedule.<ScheduleEntity.CreateReply>runCommand(replyTo -> new ScheduleEntity.Create(spec(ScheduleSpec.Overlap.ALLOW), replyTo)).reply());
    assertInstanceOf(ScheduleEntity.Conflict.class,
        schedule.<ScheduleEntity.CreateReply>runCommand(replyTo -> new ScheduleEntity.Create(spec(ScheduleSpec.Overlap.SKIP), replyTo)).reply());
  }

  private String key(String time) {
    return "schedule:" + id + ":2026-03-01T" + time + ".000Z";
  }

  private void create(ScheduleSpec.Overlap overlap) {
    var result = schedule.<ScheduleEntity.CreateReply>runCommand(replyTo -> new ScheduleEntity.Create(spec(overlap), replyTo));
    assertInstanceOf(ScheduleEntity.Created.class, result.reply());
  }

  private ScheduleSpec spec(ScheduleSpec.Overlap overlap) {
    TaskSpec task = new TaskSpec("noop", JsonNodeFactory.instance.objectNode(), null, POLICY, 1000, 5, null);
    return new ScheduleSpec(id, "@every 1s", "UTC", task, overlap, ScheduleSpec.CatchUp.SKIP);
  }

  private void awaitFired(long fired) {
    Waiting.waitFor(fired + " ticks fired").until(() -> schedule.getState().fired() == fired);
    assertTrue(schedule.getState().fired() == fired);
  }

  /** Answers submissions (or leaves the next {@code unanswered} without an answer) and reads of the previous run. */
  private static final class StubTasks implements ScheduleRuntime.Tasks {
    final List<TaskSpec> submitted = new CopyOnWriteArrayList<>();
    final AtomicInteger unanswered = new AtomicInteger();
    final AtomicReference<TaskStatus> previousStatus = new AtomicReference<>(TaskStatus.SUCCEEDED);

    List<String> keys() {
      return submitted.stream().map(TaskSpec::idempotencyKey).toList();
    }

    @Override
    public CompletionStage<TaskEntity.SubmitReply> submit(String taskId, TaskSpec spec) {
      submitted.add(spec);
      if (unanswered.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException("no answer"));
      }
      return CompletableFuture.completedFuture(new TaskEntity.Accepted(view(taskId, TaskStatus.PENDING)));
    }

    @Override
    public CompletionStage<TaskEntity.GetReply> get(String taskId) {
      return CompletableFuture.completedFuture(new TaskEntity.Found(view(taskId, previousStatus.get())));
    }

    private static TaskView view(String id, TaskStatus status) {
      String at = ApiTime.format(T0);
      return new TaskView(id, "noop", status, JsonNodeFactory.instance.objectNode(), 5, 0, 3, POLICY, 1000, at, at, null,
          false, null, null, null, List.of());
    }
  }
}
