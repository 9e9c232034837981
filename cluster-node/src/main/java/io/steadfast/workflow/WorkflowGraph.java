package io.steadfast.workflow;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The rules a workflow's graph must follow before anything of it is stored, and the ids it is
 * known by. Pure: a workflow that passes here can always run to its end.
 */
public final class WorkflowGraph {
  static final Pattern STEP_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private WorkflowGraph() {}

  /** A step as far as the graph cares: its name and what it waits for. */
  public record Node(String name, List<String> dependsOn) {}

  /**
   * Every problem of the graph at once (so a client fixes them in one go): no steps or too many,
   * bad or duplicate names, a dependency on an unknown step or on itself, and each cycle.
   */
  public static List<String> problems(List<Node> steps, int maxSteps) {
    List<String> problems = new ArrayList<>();
    if (steps.isEmpty()) problems.add("a workflow needs at least one step");
    if (steps.size() > maxSteps) {
      problems.add("a workflow may have at most " + maxSteps + " steps (steadfast.workflow.max-steps) but this one has "
          + steps.size());
    }
    Map<String, Node> byName = new LinkedHashMap<>();
    for (Node step : steps) {
      if (step.name() == null || !STEP_NAME.matcher(step.name()).matches()) {
        problems.add("step name '" + step.name() + "' must match " + STEP_NAME.pattern());
      } else if (byName.putIfAbsent(step.name(), step) != null) {
        problems.add("step name '" + step.name() + "' is used more than once");
      }
    }
    for (Node step : byName.values()) {
      Set<String> seen = new HashSet<>();
      for (String dependency : step.dependsOn()) {
        if (!seen.add(dependency)) {
          problems.add("step '" + step.name() + "' lists '" + dependency + "' in dependsOn more than once");
        } else if (dependency.equals(step.name())) {
          problems.add("step '" + step.name() + "' depends on itself");
        } else if (!byName.containsKey(dependency)) {
          problems.add("step '" + step.name() + "' depends on unknown step '" + dependency + "'");
        }
      }
    }
    for (List<String> cycle : cycles(byName)) problems.add("steps form a cycle: " + String.join(" -> ", cycle));
    return problems;
  }

  /** The steps with no dependencies: where a workflow starts. */
  public static List<String> roots(List<Node> steps) {
    return steps.stream().filter(step -> step.dependsOn().isEmpty()).map(Node::name).toList();
  }

  /**
   * Each cycle once, as the path that closes it (a -> b -> a). Found by a depth-first search
   * over the known dependencies (self-dependencies and unknown steps are reported apart).
   */
  private static List<List<String>> cycles(Map<String, Node> byName) {
    List<List<String>> cycles = new ArrayList<>();
    Map<String, Integer> state = new HashMap<>(); // absent: unseen, 1: on the path, 2: done
    for (String start : byName.keySet()) {
      if (state.containsKey(start)) continue;
      Deque<String> path = new ArrayDeque<>();
      visit(start, byName, state, path, cycles);
    }
    return cycles;
  }

  private static void visit(
      String name, Map<String, Node> byName, Map<String, Integer> state, Deque<String> path, List<List<String>> cycles) {
    state.put(name, 1);
    path.addLast(name);
    for (String dependency : byName.get(name).dependsOn()) {
      if (dependency.equals(name) || !byName.containsKey(dependency)) continue;
      Integer seen = state.get(dependency);
      if (seen == null) {
        visit(dependency, byName, state, path, cycles);
      } else if (seen == 1) {
        List<String> onPath = new ArrayList<>(path);
        List<String> cycle = new ArrayList<>(onPath.subList(onPath.indexOf(dependency), onPath.size()));
        cycle.add(dependency);
        cycles.add(cycle);
      }
    }
    path.removeLast();
    state.put(name, 2);
  }

  /**
   * A workflow submitted with an idempotency key gets an id derived from it, so that two
   * submissions racing on different nodes meet in the same entity; else a random one.
   */
  public static String workflowIdFor(String idempotencyKey) {
    return idempotencyKey == null
        ? UUID.randomUUID().toString()
        : UUID.nameUUIDFromBytes(("workflow-idempotency-key:" + idempotencyKey).getBytes(StandardCharsets.UTF_8))
            .toString();
  }

  /**
   * A step's task id, derived from the workflow's id and the step's name: a step submitted again
   * (after a crash, or by a periodic check) reaches the same task, never a second one.
   */
  public static String taskIdFor(String workflowId, String stepName) {
    return UUID.nameUUIDFromBytes(("workflow-step:" + workflowId + "/" + stepName).getBytes(StandardCharsets.UTF_8))
        .toString();
  }
}
