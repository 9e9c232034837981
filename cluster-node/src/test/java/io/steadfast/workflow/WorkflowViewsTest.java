package io.steadfast.workflow;

import static io.steadfast.workflow.WorkflowFixtures.T0;
import static io.steadfast.workflow.WorkflowFixtures.diamond;
import static io.steadfast.workflow.WorkflowFixtures.observe;
import static io.steadfast.workflow.WorkflowFixtures.result;
import static io.steadfast.workflow.WorkflowFixtures.submitted;
import static io.steadfast.workflow.WorkflowFixtures.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.steadfast.protocol.StepReadiness;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.WorkflowStepView;
import io.steadfast.protocol.api.WorkflowView;
import io.steadfast.workflow.WorkflowEntity.State;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkflowViewsTest {
  private static final Instant T1 = T0.plusSeconds(1);
  private static final Instant T2 = T0.plusSeconds(2);

  private static WorkflowStepView step(WorkflowView view, String name) {
    return view.steps().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
  }

  private static State aSucceededBDeadLettered() {
    State state = submitted(diamond()).state();
    state = observe(state, "a", task("a", TaskStatus.SUCCEEDED, T1, result("a")), T1).state();
    return observe(state, "b", task("b", TaskStatus.DEAD_LETTERED, T2, null), T2).state();
  }

  @Test
  void stepsShowWhatTheyWaitForAndWhatBlocksThem() {
    WorkflowView view = WorkflowViews.of(aSucceededBDeadLettered());
    assertEquals(StepReadiness.SUCCEEDED, step(view, "a").state());
    assertEquals(result("a"), step(view, "a").result());
    assertEquals(0, step(view, "a").attempts(), "the fixture's task made no attempts");
    assertEquals(3, step(view, "d").maxAttempts(), "the step's own policy before it runs");
    assertEquals(StepReadiness.DEAD_LETTERED, step(view, "b").state());
    assertEquals(StepReadiness.READY, step(view, "c").state(), "submitted; its task says more");
    WorkflowStepView d = step(view, "d");
    assertEquals(StepReadiness.WAITING_FOR_DEPENDENCIES, d.state());
    assertEquals(List.of("b", "c"), d.waitingFor());
    assertEquals(List.of("b"), d.blockedBy());
    assertNull(d.taskId(), "not started: no task");
    assertEquals(WorkflowGraph.taskIdFor("wf-1", "c"), step(view, "c").taskId());
    assertEquals(1, view.stepsByState().get(StepReadiness.WAITING_FOR_DEPENDENCIES));
  }

  @Test
  void aRunningStepShowsItsTasksRetryWaitAndTheBackoffTheFarEndAskedFor() {
    WorkflowView view = WorkflowViews.of(aSucceededBDeadLettered());
    String c = WorkflowGraph.taskIdFor("wf-1", "c");
    TaskError limited = new TaskError("RATE_LIMITED", "429", true);
    Instant ended = T2.plusMillis(100);
    Instant next = ended.plusMillis(1500);
    var waiting = task(c, TaskStatus.RETRY_WAIT, ended, null, limited, next,
        List.of(WorkflowFixtures.failedAttempt(1, T2, ended, limited)));
    WorkflowStepView live = step(WorkflowViews.withTasks(view, Map.of(c, waiting)), "c");
    assertEquals(StepReadiness.RETRY_WAIT, live.state());
    assertEquals(true, live.eligibleToRetry());
    assertEquals(ApiTime.format(next), live.nextAttemptAt());
    assertEquals(1500L, live.retryAfterMs());
    assertEquals(1, live.attempts());
    assertEquals(3, live.maxAttempts());
    assertEquals(limited, live.lastError());

    var deferred = task(c, TaskStatus.DEFERRED, ended, null, null, next, List.of());
    WorkflowStepView byBreaker = step(WorkflowViews.withTasks(view, Map.of(c, deferred)), "c");
    assertEquals(StepReadiness.DEFERRED_BY_BREAKER, byBreaker.state());
    assertNull(byBreaker.retryAfterMs());
  }

  @Test
  void aRecordedSuccessWinsAndARedrivenDeadLetterShowsItsTaskRunning() {
    WorkflowView view = WorkflowViews.of(aSucceededBDeadLettered());
    String a = WorkflowGraph.taskIdFor("wf-1", "a");
    String b = WorkflowGraph.taskIdFor("wf-1", "b");
    WorkflowView live = WorkflowViews.withTasks(view,
        Map.of(a, task(a, TaskStatus.RUNNING, T2, null), b, task(b, TaskStatus.RUNNING, T2, null)));
    assertEquals(StepReadiness.SUCCEEDED, step(live, "a").state());
    assertEquals(StepReadiness.RUNNING, step(live, "b").state());
    assertEquals(1, live.stepsByState().get(StepReadiness.RUNNING));
  }
}
