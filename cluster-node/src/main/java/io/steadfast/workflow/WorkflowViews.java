package io.steadfast.workflow;

import io.steadfast.protocol.StepReadiness;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.AttemptView;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.protocol.api.WorkflowStepView;
import io.steadfast.protocol.api.WorkflowView;
import io.steadfast.workflow.WorkflowEntity.Phase;
import io.steadfast.workflow.WorkflowEntity.State;
import io.steadfast.workflow.WorkflowEntity.Step;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A workflow as the API shows it: first as the workflow recorded it ({@link #of}), then with what
 * its steps' tasks say now ({@link #withTasks}): attempts, retry waits, breaker deferrals.
 */
public final class WorkflowViews {
  private static final String RATE_LIMITED = "RATE_LIMITED";

  private WorkflowViews() {}

  static WorkflowView of(State state) {
    List<WorkflowStepView> steps = new ArrayList<>();
    for (WorkflowSpec.Step spec : state.spec().steps()) steps.add(stepOf(state, spec));
    return new WorkflowView(
        state.workflowId(), state.spec().name(), state.spec().idempotencyKey(), state.status(),
        ApiTime.format(state.createdAt()), ApiTime.format(state.updatedAt()), ApiTime.format(state.endedAt()),
        counts(steps), steps);
  }

  private static WorkflowStepView stepOf(State state, WorkflowSpec.Step spec) {
    Step step = state.step(spec.name());
    List<String> waitingFor = spec.dependsOn().stream()
        .filter(d -> state.step(d).phase() != Phase.SUCCEEDED).toList();
    List<String> blockedBy = waitingFor.stream()
        .filter(d -> state.step(d).phase() == Phase.DEAD_LETTERED || state.step(d).phase() == Phase.CANCELLED).toList();
    StepReadiness readiness = switch (step.phase()) {
      case WAITING -> waitingFor.isEmpty() ? StepReadiness.READY : StepReadiness.WAITING_FOR_DEPENDENCIES;
      case STARTED -> StepReadiness.READY; // submitted; its task says more (withTasks)
      case SUCCEEDED -> StepReadiness.SUCCEEDED;
      case DEAD_LETTERED -> StepReadiness.DEAD_LETTERED;
      case CANCELLED -> StepReadiness.CANCELLED;
    };
    String taskId = step.startedAt() == null ? null : WorkflowGraph.taskIdFor(state.workflowId(), spec.name());
    int maxAttempts = step.maxAttempts() > 0 ? step.maxAttempts() : spec.task().retryPolicy().maxAttempts();
    return new WorkflowStepView(
        spec.name(), spec.task().type(), spec.dependsOn(), readiness, waitingFor, blockedBy, taskId, step.attempts(),
        maxAttempts, false, null, null, step.error(), step.result(),
        ApiTime.format(step.startedAt()), ApiTime.format(step.endedAt()));
  }

  /**
   * The view with each step's live task ({@code tasks} by task id) merged in. What the task says
   * is newer than the workflow's record, except a recorded success or cancellation, which no
   * later change of the task can undo.
   */
  public static WorkflowView withTasks(WorkflowView view, Map<String, TaskView> tasks) {
    List<WorkflowStepView> steps = new ArrayList<>();
    for (WorkflowStepView step : view.steps()) {
      TaskView task = step.taskId() == null ? null : tasks.get(step.taskId());
      boolean final_ = step.state() == StepReadiness.SUCCEEDED || step.state() == StepReadiness.CANCELLED;
      steps.add(task == null ? step : live(step, task, final_));
    }
    return new WorkflowView(view.id(), view.name(), view.idempotencyKey(), view.status(), view.createdAt(),
        view.updatedAt(), view.endedAt(), counts(steps), steps);
  }

  private static WorkflowStepView live(WorkflowStepView step, TaskView task, boolean recordedFinal) {
    StepReadiness readiness = recordedFinal ? step.state() : readinessOf(task.status());
    boolean eligible = readiness == StepReadiness.RETRY_WAIT || readiness == StepReadiness.DEFERRED_BY_BREAKER;
    return new WorkflowStepView(
        step.name(), step.type(), step.dependsOn(), readiness, step.waitingFor(), step.blockedBy(), step.taskId(),
        task.attempts(), task.maxAttempts(), eligible, eligible ? task.nextAttemptAt() : null,
        readiness == StepReadiness.RETRY_WAIT ? retryAfterMs(task) : null,
        task.lastError(), step.result() != null ? step.result() : task.result(), step.startedAt(), step.endedAt());
  }

  static StepReadiness readinessOf(TaskStatus status) {
    return switch (status) {
      case PENDING -> StepReadiness.READY;
      case RUNNING -> StepReadiness.RUNNING;
      case RETRY_WAIT -> StepReadiness.RETRY_WAIT;
      case DEFERRED -> StepReadiness.DEFERRED_BY_BREAKER;
      case RATE_LIMITED -> StepReadiness.RATE_LIMITED;
      case SUCCEEDED -> StepReadiness.SUCCEEDED;
      case DEAD_LETTERED -> StepReadiness.DEAD_LETTERED;
      case CANCELLED -> StepReadiness.CANCELLED;
    };
  }

  /** The wait the far end asked for: a rate-limited attempt waits exactly that long. */
  private static Long retryAfterMs(TaskView task) {
    if (task.lastError() == null || !RATE_LIMITED.equals(task.lastError().type()) || task.nextAttemptAt() == null
        || task.history().isEmpty()) {
      return null;
    }
    AttemptView last = task.history().get(task.history().size() - 1);
    if (last.endedAt() == null) return null;
    return Duration.between(Instant.parse(last.endedAt()), Instant.parse(task.nextAttemptAt())).toMillis();
  }

  private static Map<StepReadiness, Integer> counts(List<WorkflowStepView> steps) {
    Map<StepReadiness, Integer> counts = new EnumMap<>(StepReadiness.class);
    for (StepReadiness readiness : StepReadiness.values()) counts.put(readiness, 0);
    for (WorkflowStepView step : steps) counts.merge(step.state(), 1, Integer::sum);
    return counts;
  }
}
