package io.steadfast.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.task.StepLink;
import io.steadfast.task.TaskSpec;
import io.steadfast.workflow.WorkflowEntity.Event;
import io.steadfast.workflow.WorkflowEntity.Phase;
import io.steadfast.workflow.WorkflowEntity.State;
import io.steadfast.workflow.WorkflowEntity.StatusChanged;
import io.steadfast.workflow.WorkflowEntity.Step;
import io.steadfast.workflow.WorkflowEntity.StepEnded;
import io.steadfast.workflow.WorkflowEntity.StepResumed;
import io.steadfast.workflow.WorkflowEntity.StepsStarted;
import io.steadfast.workflow.WorkflowEntity.WorkflowCancelled;
import io.steadfast.workflow.WorkflowEntity.WorkflowSubmitted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of a workflow, as pure functions of its {@link State}: how each event changes it,
 * which steps start next, what hearing of a step's task changes, and what a cancel does. A step
 * starts only when every step it depends on has SUCCEEDED, and only while the workflow is not
 * cancelled; steps whose dependencies are met start together. Nothing here reads a clock.
 */
final class WorkflowRules {
  private WorkflowRules() {}

  // ---------------------------------------------------------------- how events change the state

  static State apply(State state, Event event) {
    if (event instanceof WorkflowSubmitted e) {
      Map<String, Step> steps = new LinkedHashMap<>();
      for (WorkflowSpec.Step step : e.spec().steps()) steps.put(step.name(), Step.WAITING);
      return new State(state.workflowId(), e.spec(), steps, false, WorkflowStatus.RUNNING, e.at(), e.at(), null);
    } else if (event instanceof StepsStarted e) {
      Map<String, Step> steps = new LinkedHashMap<>(state.steps());
      for (String name : e.steps()) steps.put(name, new Step(Phase.STARTED, null, null, 0, 0, e.at(), null, null));
      return with(state, steps, state.cancelled(), state.status(), e.at(), state.endedAt());
    } else if (event instanceof StepEnded e) {
      Step was = state.step(e.step());
      Map<String, Step> steps = new LinkedHashMap<>(state.steps());
      steps.put(e.step(), new Step(phaseOf(e.status()), e.result(), e.error(), e.attempts(), e.maxAttempts(),
          was.startedAt(), e.at(), e.taskUpdatedAt()));
      return with(state, steps, state.cancelled(), state.status(), e.at(), state.endedAt());
    } else if (event instanceof StepResumed e) {
      Step was = state.step(e.step());
      Map<String, Step> steps = new LinkedHashMap<>(state.steps());
      steps.put(e.step(), new Step(Phase.STARTED, null, null, was.attempts(), was.maxAttempts(), was.startedAt(), null,
          was.taskUpdatedAt()));
      return with(state, steps, state.cancelled(), state.status(), e.at(), state.endedAt());
    } else if (event instanceof WorkflowCancelled e) {
      Map<String, Step> steps = new LinkedHashMap<>(state.steps());
      steps.replaceAll((name, step) ->
          step.phase() == Phase.WAITING ? new Step(Phase.CANCELLED, null, null, 0, 0, null, e.at(), null) : step);
      return with(state, steps, true, state.status(), e.at(), state.endedAt());
    } else if (event instanceof StatusChanged e) {
      Instant endedAt = e.status() == WorkflowStatus.RUNNING ? null : e.at();
      return with(state, state.steps(), state.cancelled(), e.status(), e.at(), endedAt);
    }
    throw new IllegalArgumentException("unknown event " + event);
  }

  private static State with(
      State state, Map<String, Step> steps, boolean cancelled, WorkflowStatus status, Instant at, Instant endedAt) {
    return new State(state.workflowId(), state.spec(), steps, cancelled, status, state.createdAt(), at, endedAt);
  }

  private static Phase phaseOf(TaskStatus ended) {
    return switch (ended) {
      case SUCCEEDED -> Phase.SUCCEEDED;
      case DEAD_LETTERED -> Phase.DEAD_LETTERED;
      case CANCELLED -> Phase.CANCELLED;
      default -> throw new IllegalArgumentException("not an end: " + ended);
    };
  }

  // ---------------------------------------------------------------- what happens

  /** A new workflow: it is recorded, and the steps without dependencies start. */
  static List<Event> submitted(State empty, WorkflowSpec spec, Instant now) {
    return settle(empty, List.of(new WorkflowSubmitted(spec, now)), now);
  }

  /**
   * What hearing that {@code step}'s task is now {@code task} changes. A running step that ended
   * is recorded, and the steps that waited only for it start; a dead-lettered step whose task
   * runs again (redriven) is recorded as running. Whatever the workflow already knows changes
   * nothing, and neither does word older than what it recorded (an answer overtaken by a redrive).
   */
  static List<Event> observed(State state, String step, TaskView task, Instant now) {
    Step recorded = state.isSubmitted() ? state.step(step) : null;
    if (recorded == null) return List.of();
    TaskStatus status = task.status();
    Instant taskAt = Instant.parse(task.updatedAt());
    boolean newer = recorded.taskUpdatedAt() == null || taskAt.isAfter(recorded.taskUpdatedAt());
    List<Event> events = new ArrayList<>();
    if (recorded.phase() == Phase.DEAD_LETTERED && status != TaskStatus.DEAD_LETTERED && newer) {
      events.add(new StepResumed(step, now));
    } else if (recorded.phase() != Phase.STARTED || !newer) {
      return List.of();
    }
    if (status.isTerminal()) {
      events.add(new StepEnded(
          step, status, task.result(), task.lastError(), task.attempts(), task.maxAttempts(), taskAt, now));
    }
    return settle(state, events, now);
  }

  /** Null when there is nothing to cancel (it succeeded, or was cancelled before). */
  static List<Event> cancel(State state, Instant now) {
    if (state.cancelled() || state.status() == WorkflowStatus.SUCCEEDED) return null;
    return settle(state, List.of(new WorkflowCancelled(now)), now);
  }

  /**
   * {@code events}, then the steps they made ready, then the status they lead to if it changed.
   */
  private static List<Event> settle(State state, List<Event> events, Instant now) {
    List<Event> all = new ArrayList<>(events);
    State after = state;
    for (Event event : events) after = apply(after, event);
    List<String> ready = ready(after);
    if (!ready.isEmpty()) {
      StepsStarted started = new StepsStarted(ready, now);
      all.add(started);
      after = apply(after, started);
    }
    WorkflowStatus status = statusOf(after);
    if (status != after.status()) all.add(new StatusChanged(status, now));
    return all;
  }

  /** Steps not started whose dependencies all succeeded; none once cancelled. */
  static List<String> ready(State state) {
    if (state.cancelled()) return List.of();
    return state.spec().steps().stream()
        .filter(step -> state.step(step.name()).phase() == Phase.WAITING)
        .filter(step -> step.dependsOn().stream().allMatch(d -> state.step(d).phase() == Phase.SUCCEEDED))
        .map(WorkflowSpec.Step::name)
        .toList();
  }

  /**
   * CANCELLED once cancelled; SUCCEEDED when every step did; FAILED while a step is
   * dead-lettered (or was cancelled on its own), since its dependents cannot start; else RUNNING.
   */
  static WorkflowStatus statusOf(State state) {
    if (state.cancelled()) return WorkflowStatus.CANCELLED;
    if (state.steps().values().stream().allMatch(step -> step.phase() == Phase.SUCCEEDED)) {
      return WorkflowStatus.SUCCEEDED;
    }
    boolean stuck = state.steps().values().stream()
        .anyMatch(step -> step.phase() == Phase.DEAD_LETTERED || step.phase() == Phase.CANCELLED);
    return stuck ? WorkflowStatus.FAILED : WorkflowStatus.RUNNING;
  }

  /** The task a started step runs: its spec, with the results of the steps it depends on. */
  static TaskSpec taskOf(State state, String step) {
    WorkflowSpec.Step spec = state.spec().step(step);
    Map<String, JsonNode> results = new LinkedHashMap<>();
    for (String dependency : spec.dependsOn()) {
      JsonNode result = state.step(dependency).result();
      results.put(dependency, result == null ? NullNode.getInstance() : result);
    }
    return spec.task().asStep(new StepLink(state.workflowId(), step, results));
  }
}
