package io.steadfast.workflow;

import static io.steadfast.testing.Waiting.waitFor;
import static io.steadfast.workflow.WorkflowFixtures.diamond;
import static io.steadfast.workflow.WorkflowFixtures.result;
import static io.steadfast.workflow.WorkflowFixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.task.TaskEntity;
import io.steadfast.workflow.WorkflowEntity.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The workflow entity with the persistence test kit (which also round-trips its commands, events
 * and state through the serializer); one probe stands in for every step's task.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkflowEntityTest {
  private static final Duration NEVER = Duration.ofHours(1);

  private final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseResources("serialization.conf"))
          .resolve());
  private int workflows;

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  /** A fresh workflow entity, the probe its steps' tasks are, and how often it checks them. */
  private record Workflow(
      EventSourcedBehaviorTestKit<WorkflowEntity.Command, WorkflowEntity.Event, WorkflowEntity.State> kit,
      TestProbe<TaskEntity.Command> tasks) {

    TaskEntity.Submit expectSubmit() {
      return tasks.expectMessageClass(TaskEntity.Submit.class);
    }

    /** The next submissions, as many as {@code count}, by step name. */
    List<TaskEntity.Submit> expectSubmits(int count) {
      return java.util.stream.IntStream.range(0, count).mapToObj(i -> expectSubmit())
          .sorted(Comparator.comparing(s -> s.spec().step().stepName())).toList();
    }

    WorkflowEntity.State state() {
      return kit.getState();
    }
  }

  private Workflow workflow(Duration checkEvery) {
    TestProbe<TaskEntity.Command> tasks = testKit.createTestProbe();
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    WorkflowSettings settings = new WorkflowSettings(100, checkEvery, NEVER, NEVER, Duration.ofSeconds(3));
    var kit = EventSourcedBehaviorTestKit.<WorkflowEntity.Command, WorkflowEntity.Event, WorkflowEntity.State>create(
        testKit.system(),
        WorkflowEntity.create("wf-" + (++workflows), settings, taskId -> tasks.ref(), shard.ref()));
    return new Workflow(kit, tasks);
  }

  private static Workflow submitted(Workflow workflow) {
    var result = workflow.kit().<WorkflowEntity.SubmitReply>runCommand(replyTo -> new WorkflowEntity.Submit(diamond(), replyTo));
    assertInstanceOf(WorkflowEntity.Accepted.class, result.reply());
    return workflow;
  }

  private static void answer(TaskEntity.Submit submit, TaskStatus status, Instant at) {
    String step = submit.spec().step().stepName();
    submit.replyTo().tell(new TaskEntity.AlreadySubmitted(task(step, status, at, result(step))));
  }

  @Test
  void aNewWorkflowSubmitsItsRootStepAsATaskThatKnowsItsWorkflow() {
    Workflow workflow = workflow(NEVER);
    var result = workflow.kit().<WorkflowEntity.SubmitReply>runCommand(replyTo -> new WorkflowEntity.Submit(diamond(), replyTo));
    var accepted = assertInstanceOf(WorkflowEntity.Accepted.class, result.reply());
    assertEquals(WorkflowStatus.RUNNING, accepted.workflow().status());
    assertEquals(List.of(WorkflowEntity.WorkflowSubmitted.class, WorkflowEntity.StepsStarted.class),
        result.events().stream().map(Object::getClass).toList());

    TaskEntity.Submit a = workflow.expectSubmit();
    assertEquals(workflow.state().workflowId(), a.spec().step().workflowId());
    assertEquals("a", a.spec().step().stepName());
    assertEquals(Map.of(), a.spec().step().dependencyResults());
    workflow.tasks().expectNoMessage(Duration.ofMillis(200));

    var again = workflow.kit().<WorkflowEntity.SubmitReply>runCommand(replyTo -> new WorkflowEntity.Submit(diamond(), replyTo));
    assertInstanceOf(WorkflowEntity.AlreadySubmitted.class, again.reply());
    assertTrue(again.hasNoEvents());
  }

  @Test
  void aStepsEndIsAppliedOnceAndItsDependentsGetItsResult() {
    Workflow workflow = submitted(workflow(NEVER));
    answer(workflow.expectSubmit(), TaskStatus.RUNNING, Instant.now());
    var ended = new WorkflowEntity.StepObserved("a", task("a", TaskStatus.SUCCEEDED, Instant.now(), result("a")));

    var first = workflow.kit().runCommand(ended);
    assertEquals(List.of(WorkflowEntity.StepEnded.class, WorkflowEntity.StepsStarted.class),
        first.events().stream().map(Object::getClass).toList());
    List<TaskEntity.Submit> next = workflow.expectSubmits(2);
    assertEquals(List.of("b", "c"), next.stream().map(s -> s.spec().step().stepName()).toList());
    assertEquals(Map.of("a", result("a")), next.get(0).spec().step().dependencyResults());
    assertTrue(workflow.kit().runCommand(ended).hasNoEvents(), "the same end heard again");
    workflow.tasks().expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void afterARestartItAsksItsRunningStepsAndAppliesWhatEndedMeanwhile() {
    Workflow workflow = submitted(workflow(NEVER));
    workflow.expectSubmit(); // the word of a's end is lost with the node
    workflow.kit().restart();

    answer(workflow.expectSubmit(), TaskStatus.SUCCEEDED, Instant.now());
    assertEquals(List.of("b", "c"), workflow.expectSubmits(2).stream().map(s -> s.spec().step().stepName()).toList());
    assertEquals(Phase.SUCCEEDED, workflow.state().step("a").phase());
  }

  @Test
  void aPeriodicCheckMakesUpForAnEndNobodyReported() {
    Workflow workflow = submitted(workflow(Duration.ofMillis(200)));
    workflow.expectSubmit(); // unanswered
    answer(workflow.expectSubmit(), TaskStatus.RUNNING, Instant.now()); // the check: still running
    answer(workflow.expectSubmit(), TaskStatus.DEAD_LETTERED, Instant.now()); // the next: dead-lettered
    waitFor("the workflow FAILED").until(() -> workflow.state().status() == WorkflowStatus.FAILED);
    assertEquals(List.of("b", "c", "d"), workflow.state().stepsIn(Phase.WAITING), "dependents of a dead letter started");
  }

  @Test
  void cancellingCancelsTheRunningStepsTaskAndStartsNothingAfter() {
    Workflow workflow = submitted(workflow(NEVER));
    workflow.expectSubmit();
    var result = workflow.kit().<WorkflowEntity.CancelReply>runCommand(WorkflowEntity.Cancel::new);
    var accepted = assertInstanceOf(WorkflowEntity.CancelAccepted.class, result.reply());
    assertEquals(WorkflowStatus.CANCELLED, accepted.workflow().status());

    TaskEntity.Cancel cancel = workflow.tasks().expectMessageClass(TaskEntity.Cancel.class);
    cancel.replyTo().tell(new TaskEntity.CancelAccepted(task("a", TaskStatus.CANCELLED, Instant.now(), null)));
    waitFor("the running step cancelled").until(() -> workflow.state().step("a").phase() == Phase.CANCELLED);
    assertTrue(workflow.state().isSettled());
    workflow.tasks().expectNoMessage(Duration.ofMillis(200));
    assertInstanceOf(WorkflowEntity.CancelRefused.class,
        workflow.kit().<WorkflowEntity.CancelReply>runCommand(WorkflowEntity.Cancel::new).reply());
  }
}
