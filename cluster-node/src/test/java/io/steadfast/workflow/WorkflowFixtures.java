package io.steadfast.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.AttemptView;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.task.TaskSpec;
import io.steadfast.workflow.WorkflowEntity.Event;
import io.steadfast.workflow.WorkflowEntity.State;
import java.time.Instant;
import java.util.List;

/** Workflows and task views for the pure tests, built the way the cluster builds them. */
final class WorkflowFixtures {
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  static final RetryPolicy POLICY = new RetryPolicy(RetryPolicy.Strategy.FIXED, 1000, 1.0, 1000, RetryPolicy.Jitter.NONE, 0, 3);

  private WorkflowFixtures() {}

  static WorkflowSpec.Step step(String name, String... dependsOn) {
    TaskSpec task = new TaskSpec("echo", JsonNodeFactory.instance.objectNode().put("step", name), null, POLICY, 60_000,
        5, null);
    return new WorkflowSpec.Step(name, List.of(dependsOn), task);
  }

  /** A → B, C → D. */
  static WorkflowSpec diamond() {
    return new WorkflowSpec("diamond", null, List.of(step("a"), step("b", "a"), step("c", "a"), step("d", "b", "c")));
  }

  static State replay(State state, List<Event> events) {
    for (Event event : events) state = WorkflowRules.apply(state, event);
    return state;
  }

  /** A state and the events that led to it from the last one. */
  record Step(State state, List<Event> events) {}

  static Step submitted(WorkflowSpec spec) {
    State empty = State.empty("wf-1");
    List<Event> events = WorkflowRules.submitted(empty, spec, T0);
    return new Step(replay(empty, events), events);
  }

  static Step observe(State state, String step, TaskView task, Instant at) {
    List<Event> events = WorkflowRules.observed(state, step, task, at);
    return new Step(replay(state, events), events);
  }

  static TaskView task(String id, TaskStatus status, Instant updatedAt, JsonNode result) {
    return task(id, status, updatedAt, result, null, null, List.of());
  }

  static TaskView task(
      String id, TaskStatus status, Instant updatedAt, JsonNode result, TaskError error, Instant nextAttemptAt,
      List<AttemptView> history) {
    return new TaskView(id, "echo", status, JsonNodeFactory.instance.objectNode(), 5, history.size(), 3, POLICY, 60_000,
        ApiTime.format(T0), ApiTime.format(updatedAt), ApiTime.format(nextAttemptAt), false, error, result, null,
        history);
  }

  static AttemptView failedAttempt(int number, Instant started, Instant ended, TaskError error) {
    return new AttemptView(number, "127.0.0.1:2551", ApiTime.format(started), ApiTime.format(ended),
        AttemptOutcome.FAILED, error, true);
  }

  static JsonNode result(String value) {
    return JsonNodeFactory.instance.objectNode().put("value", value);
  }
}
