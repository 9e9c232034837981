package io.steadfast.workflow;

import io.steadfast.protocol.CborSerializable;
import io.steadfast.task.TaskSpec;
import java.util.List;
import java.util.Objects;

/**
 * What was asked for at submission, each step resolved against its task type's configuration
 * (as a task's own {@link TaskSpec} is), and already checked by {@link WorkflowGraph}.
 *
 * @param idempotencyKey may be null
 * @param steps in the order they were given
 */
public record WorkflowSpec(String name, String idempotencyKey, List<Step> steps) implements CborSerializable {

  public WorkflowSpec {
    steps = List.copyOf(steps);
  }

  /**
   * One step: the task it runs, once every step it depends on has succeeded.
   *
   * @param dependsOn names of other steps of the same workflow
   */
  public record Step(String name, List<String> dependsOn, TaskSpec task) implements CborSerializable {
    public Step {
      dependsOn = List.copyOf(dependsOn);
    }
  }

  public Step step(String stepName) {
    return steps.stream().filter(step -> step.name().equals(stepName)).findFirst().orElse(null);
  }

  /** Whether {@code other} asks for the same workflow: the test behind idempotent resubmission. */
  public boolean sameRequestAs(WorkflowSpec other) {
    if (!Objects.equals(name, other.name) || steps.size() != other.steps.size()) return false;
    for (int i = 0; i < steps.size(); i++) {
      Step mine = steps.get(i);
      Step theirs = other.steps.get(i);
      if (!mine.name().equals(theirs.name()) || !mine.dependsOn().equals(theirs.dependsOn())
          || !mine.task().sameRequestAs(theirs.task())) {
        return false;
      }
    }
    return true;
  }
}
