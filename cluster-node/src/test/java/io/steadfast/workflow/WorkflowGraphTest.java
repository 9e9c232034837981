package io.steadfast.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkflowGraphTest {

  private static WorkflowGraph.Node node(String name, String... dependsOn) {
    return new WorkflowGraph.Node(name, List.of(dependsOn));
  }

  @Test
  void aDiamondIsValidAndStartsAtItsRoot() {
    List<WorkflowGraph.Node> diamond = List.of(node("a"), node("b", "a"), node("c", "a"), node("d", "b", "c"));
    assertEquals(List.of(), WorkflowGraph.problems(diamond, 100));
    assertEquals(List.of("a"), WorkflowGraph.roots(diamond));
  }

  @Test
  void everyProblemIsNamedAtOnce() {
    List<String> problems = WorkflowGraph.problems(
        List.of(node("a", "c"), node("b", "b"), node("c", "a", "ghost"), node("a"), node("bad name!"), node("e", "a", "a")),
        100);
    assertEquals(List.of(
        "step name 'a' is used more than once",
        "step name 'bad name!' must match " + WorkflowGraph.STEP_NAME.pattern(),
        "step 'b' depends on itself",
        "step 'c' depends on unknown step 'ghost'",
        "step 'e' lists 'a' in dependsOn more than once",
        "steps form a cycle: a -> c -> a"), problems);
  }

  @Test
  void eachCycleIsNamedOnceWithItsPath() {
    List<String> problems = WorkflowGraph.problems(
        List.of(node("a", "b"), node("b", "c"), node("c", "a"), node("x", "y"), node("y", "x"), node("free", "a")), 100);
    assertEquals(List.of("steps form a cycle: a -> b -> c -> a", "steps form a cycle: x -> y -> x"), problems);
  }

  @Test
  void noStepsAndTooManyStepsAreRefused() {
    assertEquals(List.of("a workflow needs at least one step"), WorkflowGraph.problems(List.of(), 100));
    List<WorkflowGraph.Node> many = new ArrayList<>();
    for (int i = 0; i < 4; i++) many.add(node("s" + i));
    List<String> problems = WorkflowGraph.problems(many, 3);
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).contains("at most 3 steps"), problems.toString());
  }

  @Test
  void idsAreDerivedSoThatAStepIsAlwaysTheSameTask() {
    assertEquals(WorkflowGraph.taskIdFor("w1", "bill"), WorkflowGraph.taskIdFor("w1", "bill"));
    assertNotEquals(WorkflowGraph.taskIdFor("w1", "bill"), WorkflowGraph.taskIdFor("w2", "bill"));
    assertNotEquals(WorkflowGraph.taskIdFor("w1", "bill"), WorkflowGraph.taskIdFor("w1", "mail"));
    assertEquals(WorkflowGraph.workflowIdFor("key"), WorkflowGraph.workflowIdFor("key"));
    assertNotEquals(WorkflowGraph.workflowIdFor(null), WorkflowGraph.workflowIdFor(null));
  }
}
