package io.steadfast.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.CborSerializable;
import java.util.Map;

/**
 * Marks a task as one step of a workflow: which workflow to tell when the task ends, and what the
 * steps it depends on returned (its handler reads them through its context).
 *
 * @param dependencyResults each dependency's result by step name (JSON null when it returned none)
 */
public record StepLink(String workflowId, String stepName, Map<String, JsonNode> dependencyResults)
    implements CborSerializable {

  public StepLink {
    dependencyResults = dependencyResults == null ? Map.of() : Map.copyOf(dependencyResults);
  }

  /** Hears of step tasks whose status a workflow waits for: ended, or redriven. */
  @FunctionalInterface
  public interface Reporter {
    Reporter NONE = (step, task) -> {};

    /** Best effort, never blocking: the workflow also asks for its steps itself. */
    void report(StepLink step, io.steadfast.protocol.api.TaskView task);
  }
}
