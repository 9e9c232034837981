package io.steadfast.workflow;

import static io.steadfast.workflow.WorkflowFixtures.T0;
import static io.steadfast.workflow.WorkflowFixtures.diamond;
import static io.steadfast.workflow.WorkflowFixtures.observe;
import static io.steadfast.workflow.WorkflowFixtures.result;
import static io.steadfast.workflow.WorkflowFixtures.submitted;
import static io.steadfast.workflow.WorkflowFixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.task.StepLink;
import io.steadfast.workflow.WorkflowEntity.Event;
import io.steadfast.workflow.WorkflowEntity.Phase;
import io.steadfast.workflow.WorkflowEntity.State;
import io.steadfast.workflow.WorkflowEntity.StatusChanged;
import io.steadfast.workflow.WorkflowEntity.StepEnded;
import io.steadfast.workflow.WorkflowEntity.StepResumed;
import io.steadfast.workflow.WorkflowEntity.StepsStarted;
import io.steadfast.workflow.WorkflowEntity.WorkflowCancelled;
import io.steadfast.workflow.WorkflowEntity.WorkflowSubmitted;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkflowRulesTest {
  private static final Instant T1 = T0.plusSeconds(1);
  private static final Instant T2 = T0.plusSeconds(2);
  private static final Instant T3 = T0.plusSeconds(3);
  private static final Instant T4 = T0.plusSeconds(4);

  private static List<Class<?>> kinds(List<Event> events) {
    return events.stream().<Class<?>>map(Object::getClass).toList();
  }

  private static State succeeded(State state, String step, Instant at) {
    return observe(state, step, task(step, TaskStatus.SUCCEEDED, at, result(step)), at).state();
  }

  @Test
  void aNewWorkflowStartsOnlyTheStepsWithoutDependencies() {
    var submitted = submitted(diamond());
    assertEquals(List.of(WorkflowSubmitted.class, StepsStarted.class), kinds(submitted.events()));
    assertEquals(List.of("a"), ((StepsStarted) submitted.events().get(1)).steps());
    assertEquals(WorkflowStatus.RUNNING, submitted.state().status());
    assertEquals(List.of("b", "c", "d"), submitted.state().stepsIn(Phase.WAITING));
  }

  @Test
  void stepsWhoseDependenciesSucceededStartTogetherAndAJoinWaitsForAll() {
    State state = submitted(diamond()).state();
    var afterA = observe(state, "a", task("a", TaskStatus.SUCCEEDED, T1, result("a")), T1);
    assertEquals(List.of(StepEnded.class, StepsStarted.class), kinds(afterA.events()));
    assertEquals(List.of("b", "c"), ((StepsStarted) afterA.events().get(1)).steps());

    StepEnded aEnded = (StepEnded) afterA.events().get(0);
    assertEquals(TaskStatus.SUCCEEDED, aEnded.status());
    assertEquals(result("a"), afterA.state().step("a").result());
    assertEquals(3, afterA.state().step("a").maxAttempts(), "the task's limit, recorded with its end");
    var afterB = observe(afterA.state(), "b", task("b", TaskStatus.SUCCEEDED, T2, result("b")), T2);
    assertEquals(List.of(StepEnded.class), kinds(afterB.events()), "d must wait for c too");

    var afterC = observe(afterB.state(), "c", task("c", TaskStatus.SUCCEEDED, T3, result("c")), T3);
    assertEquals(List.of("d"), ((StepsStarted) afterC.events().get(1)).steps());
    StepLink link = WorkflowRules.taskOf(afterC.state(), "d").step();
    assertEquals("wf-1", link.workflowId());
    assertEquals("d", link.stepName());
    assertEquals(java.util.Map.of("b", result("b"), "c", result("c")), link.dependencyResults());

    var afterD = observe(afterC.state(), "d", task("d", TaskStatus.SUCCEEDED, T4, result("d")), T4);
    assertEquals(List.of(StepEnded.class, StatusChanged.class), kinds(afterD.events()));
    assertEquals(WorkflowStatus.SUCCEEDED, afterD.state().status());
    assertEquals(T4, afterD.state().endedAt());
  }

  @Test
  void anEndHeardTwiceIsAppliedOnceAndARunningTaskChangesNothing() {
    State state = succeeded(submitted(diamond()).state(), "a", T1);
    assertEquals(List.of(), WorkflowRules.observed(state, "a", task("a", TaskStatus.SUCCEEDED, T1, result("a")), T2));
    assertEquals(List.of(), WorkflowRules.observed(state, "b", task("b", TaskStatus.RUNNING, T2, null), T2));
    assertEquals(List.of(), WorkflowRules.observed(state, "d", task("d", TaskStatus.SUCCEEDED, T2, null), T2),
        "a step not started cannot end");
    assertEquals(List.of(), WorkflowRules.observed(state, "nope", task("x", TaskStatus.SUCCEEDED, T2, null), T2));
  }

  @Test
  void aDeadLetteredStepFailsTheWorkflowAndItsDependentsWaitUntilItIsRedrivenAndSucceeds() {
    State state = succeeded(submitted(diamond()).state(), "a", T1);
    var dead = observe(state, "b", task("b", TaskStatus.DEAD_LETTERED, T2, null), T2);
    assertEquals(List.of(StepEnded.class, StatusChanged.class), kinds(dead.events()));
    assertEquals(WorkflowStatus.FAILED, dead.state().status());
    State cDone = succeeded(dead.state(), "c", T3);
    assertEquals(Phase.WAITING, cDone.step("d").phase(), "d started though b is dead-lettered");
    assertEquals(WorkflowStatus.FAILED, cDone.status());

    // Word from before the dead letter, arriving late, changes nothing.
    assertEquals(List.of(), WorkflowRules.observed(cDone, "b", task("b", TaskStatus.RUNNING, T1, null), T3));

    var resumed = observe(cDone, "b", task("b", TaskStatus.PENDING, T3, null), T3);
    assertEquals(List.of(StepResumed.class, StatusChanged.class), kinds(resumed.events()));
    assertEquals(WorkflowStatus.RUNNING, resumed.state().status());
    assertNull(resumed.state().endedAt());
    // The dead letter's own view, heard again after the redrive, is older: nothing changes.
    assertEquals(List.of(), WorkflowRules.observed(resumed.state(), "b", task("b", TaskStatus.DEAD_LETTERED, T2, null), T4));

    var finished = observe(resumed.state(), "b", task("b", TaskStatus.SUCCEEDED, T4, result("b")), T4);
    assertEquals(List.of(StepEnded.class, StepsStarted.class), kinds(finished.events()));
    assertEquals(List.of("d"), ((StepsStarted) finished.events().get(1)).steps());
  }

  @Test
  void aRedrivenStepHeardOfOnlyWhenItSucceededResumesTheWorkflow() {
    State state = succeeded(submitted(diamond()).state(), "a", T1);
    state = succeeded(observe(state, "b", task("b", TaskStatus.DEAD_LETTERED, T2, null), T2).state(), "c", T2);
    var finished = observe(state, "b", task("b", TaskStatus.SUCCEEDED, T4, result("b")), T4);
    assertEquals(List.of(StepResumed.class, StepEnded.class, StepsStarted.class, StatusChanged.class),
        kinds(finished.events()));
    assertEquals(WorkflowStatus.RUNNING, finished.state().status());
  }

  @Test
  void cancellingEndsWaitingStepsAndNothingStartsAfter() {
    State state = succeeded(submitted(diamond()).state(), "a", T1);
    List<Event> cancel = WorkflowRules.cancel(state, T2);
    assertEquals(List.of(WorkflowCancelled.class, StatusChanged.class), kinds(cancel));
    State cancelled = WorkflowFixtures.replay(state, cancel);
    assertEquals(WorkflowStatus.CANCELLED, cancelled.status());
    assertEquals(List.of("d"), cancelled.stepsIn(Phase.CANCELLED));
    assertEquals(List.of("b", "c"), cancelled.stepsIn(Phase.STARTED), "running steps end with their tasks");

    State bDone = succeeded(cancelled, "b", T3);
    var cCancelled = observe(bDone, "c", task("c", TaskStatus.CANCELLED, T3, null), T3);
    assertEquals(List.of(StepEnded.class), kinds(cCancelled.events()));
    assertEquals(true, cCancelled.state().isSettled());
    assertNull(WorkflowRules.cancel(cCancelled.state(), T4), "cancelled twice");
  }

  @Test
  void aSucceededWorkflowCannotBeCancelledAndAStepCancelledOnItsOwnFailsIt() {
    State state = submitted(new WorkflowSpec("one", null, List.of(WorkflowFixtures.step("only")))).state();
    assertNull(WorkflowRules.cancel(succeeded(state, "only", T1), T2));
    var cancelledAlone = observe(state, "only", task("only", TaskStatus.CANCELLED, T1, null), T1);
    assertEquals(WorkflowStatus.FAILED, cancelledAlone.state().status());
  }

  @Test
  void aResubmissionIsTheSameRequestOnlyWithTheSameStepsAndTasks() {
    assertEquals(true, diamond().sameRequestAs(diamond()));
    WorkflowSpec other = new WorkflowSpec("diamond", null,
        List.of(WorkflowFixtures.step("a"), WorkflowFixtures.step("b", "a"), WorkflowFixtures.step("c"),
            WorkflowFixtures.step("d", "b", "c")));
    assertEquals(false, diamond().sameRequestAs(other));
  }
}
