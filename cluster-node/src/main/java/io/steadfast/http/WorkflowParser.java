package io.steadfast.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steadfast.protocol.api.ApiError;
import io.steadfast.task.TaskTypes;
import io.steadfast.workflow.WorkflowGraph;
import io.steadfast.workflow.WorkflowSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns the body of {@code POST /api/v1/workflows} into a {@link WorkflowSpec}, or into every
 * problem found at once: each step's task fields as {@link SubmissionParser} takes a task's, then
 * the graph's rules ({@link WorkflowGraph}). Nothing is stored unless all of it is right.
 */
final class WorkflowParser {
  static final Set<String> FIELDS = new TreeSet<>(Set.of("name", "idempotencyKey", "steps"));
  /** A step's own fields; the rest are a task's. */
  static final Set<String> STEP_FIELDS =
      new TreeSet<>(Set.of("name", "dependsOn", "type", "payload", "priority", "attemptTimeoutMs", "retryPolicy"));
  static final int MAX_NAME_LENGTH = 200;

  /** Either a spec, or why there is none. */
  sealed interface Result {}

  record Parsed(WorkflowSpec spec) implements Result {}

  record Invalid(List<String> problems) implements Result {
    ApiError error() {
      return new ApiError("invalid_workflow", String.join("; ", problems), Map.of("problems", problems));
    }
  }

  private final SubmissionParser tasks;
  private final TaskTypes types;
  private final int maxSteps;

  WorkflowParser(TaskTypes types, int maxSteps) {
    this.tasks = new SubmissionParser(types, Clock.systemUTC());
    this.types = types;
    this.maxSteps = maxSteps;
  }

  Result parse(JsonNode request) {
    if (request == null || !request.isObject()) return new Invalid(List.of("the body must be a JSON object"));
    List<String> problems = new ArrayList<>();
    request.fieldNames().forEachRemaining(field -> {
      if (!FIELDS.contains(field)) problems.add("unknown field '" + field + "'; allowed: " + FIELDS);
    });
    String name = text(request.get("name"), "name", true, problems);
    String key = text(request.get("idempotencyKey"), "idempotencyKey", false, problems);
    JsonNode steps = request.get("steps");
    if (steps == null || !steps.isArray()) {
      problems.add("steps is required and must be an array of steps");
      return new Invalid(problems);
    }
    List<WorkflowGraph.Node> nodes = new ArrayList<>();
    List<WorkflowSpec.Step> parsed = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      WorkflowSpec.Step step = step(steps.get(i), "steps[" + i + "]", nodes, problems);
      if (step != null) parsed.add(step);
    }
    problems.addAll(WorkflowGraph.problems(nodes, maxSteps));
    if (!problems.isEmpty()) return new Invalid(problems);
    return new Parsed(new WorkflowSpec(name, key, parsed));
  }

  /**
   * One step, or null with its problems named after {@code where} and the step's name. A named
   * step joins {@code nodes} even when its task is invalid, so that the graph's problems are
   * named in the same answer.
   */
  private WorkflowSpec.Step step(JsonNode step, String where, List<WorkflowGraph.Node> nodes, List<String> problems) {
    if (step == null || !step.isObject()) {
      problems.add(where + " must be a JSON object");
      return null;
    }
    int before = problems.size();
    String name = text(step.get("name"), where + ".name", true, problems);
    String at = name == null ? where : where + " (" + name + ")";
    step.fieldNames().forEachRemaining(field -> {
      if (!STEP_FIELDS.contains(field)) problems.add(at + ": unknown field '" + field + "'; allowed: " + STEP_FIELDS);
    });
    List<String> dependsOn = new ArrayList<>();
    JsonNode deps = step.get("dependsOn");
    if (deps != null && !deps.isNull()) {
      if (!deps.isArray()) problems.add(at + ": dependsOn must be an array of step names");
      else deps.forEach(d -> {
        if (d.isTextual()) dependsOn.add(d.asText());
        else problems.add(at + ": dependsOn must hold step names (strings) but has " + d);
      });
    }
    if (name != null) nodes.add(new WorkflowGraph.Node(name, dependsOn));
    // The task's own fields only: the step's are not a task's, and unknown ones are named above.
    ObjectNode task = ((ObjectNode) step).deepCopy();
    task.retain(STEP_FIELDS);
    task.remove(List.of("name", "dependsOn"));
    SubmissionParser.Result parsed = tasks.parse(task);
    if (parsed instanceof SubmissionParser.Invalid invalid) {
      invalid.problems().forEach(problem -> problems.add(at + ": " + problem));
    } else if (parsed instanceof SubmissionParser.UnknownType unknown) {
      problems.add(at + ": unknown task type '" + unknown.type() + "'; known: " + types.names());
    }
    if (problems.size() > before || name == null) return null;
    return new WorkflowSpec.Step(name, dependsOn, ((SubmissionParser.Parsed) parsed).spec());
  }

  private static String text(JsonNode value, String field, boolean required, List<String> problems) {
    if (value == null || value.isNull()) {
      if (required) problems.add(field + " is required and must be a non-empty string");
      return null;
    }
    if (!value.isTextual() || value.asText().isBlank() || value.asText().length() > MAX_NAME_LENGTH) {
      problems.add(field + " must be a string of 1 to " + MAX_NAME_LENGTH + " characters");
      return null;
    }
    return value.asText();
  }
}
