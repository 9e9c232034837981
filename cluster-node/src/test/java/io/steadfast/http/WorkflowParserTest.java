package io.steadfast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.steadfast.handlers.EchoHandler;
import io.steadfast.handlers.HandlerRegistry;
import io.steadfast.handlers.NoopHandler;
import io.steadfast.task.TaskTypes;
import io.steadfast.workflow.WorkflowSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkflowParserTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TaskTypes TYPES = TaskTypes.fromConfig(
      ConfigFactory.parseString("steadfast.task-types { echo { handler = echo }, noop { handler = noop, max-attempts = 7 } }")
          .withFallback(ConfigFactory.parseResources("steadfast.conf").withoutPath("steadfast.task-types"))
          .resolve(),
      HandlerRegistry.of(new EchoHandler(), new NoopHandler()));
  private final WorkflowParser parser = new WorkflowParser(TYPES, 3);

  private WorkflowParser.Result parse(String json) throws Exception {
    return parser.parse(JSON.readTree(json));
  }

  private List<String> problems(String json) throws Exception {
    return assertInstanceOf(WorkflowParser.Invalid.class, parse(json)).problems();
  }

  @Test
  void eachStepIsResolvedAgainstItsTaskType() throws Exception {
    var parsed = assertInstanceOf(WorkflowParser.Parsed.class, parse("""
        {"name": "w", "idempotencyKey": "k", "steps": [
          {"name": "a", "type": "noop"},
          {"name": "b", "type": "echo", "payload": {"x": 1}, "dependsOn": ["a"], "priority": 9,
           "retryPolicy": {"maxAttempts": 2}, "attemptTimeoutMs": 1000}]}"""));
    WorkflowSpec spec = parsed.spec();
    assertEquals("k", spec.idempotencyKey());
    assertEquals(7, spec.step("a").task().retryPolicy().maxAttempts(), "the type's policy");
    WorkflowSpec.Step b = spec.step("b");
    assertEquals(List.of("a"), b.dependsOn());
    assertEquals(2, b.task().retryPolicy().maxAttempts());
    assertEquals(1000, b.task().attemptTimeoutMs());
    assertEquals(9, b.task().priority());
    assertEquals(1, b.task().payload().get("x").asInt());
  }

  @Test
  void everyProblemIsNamedWithItsStepAndTheGraphsToo() throws Exception {
    List<String> problems = problems("""
        {"name": "w", "colour": "red", "steps": [
          {"name": "a", "type": "nope", "dependsOn": ["b"]},
          {"name": "b", "type": "echo", "idempotencyKey": "x", "priority": 11, "dependsOn": ["a"]},
          {"type": "echo"}]}""");
    String all = String.join("\n", problems);
    for (String named : List.of("unknown field 'colour'", "steps[0] (a): unknown task type 'nope'",
        "steps[1] (b): unknown field 'idempotencyKey'", "steps[1] (b): priority must be between 0 and 9",
        "steps[2].name is required", "steps form a cycle: a -> b -> a")) {
      assertTrue(all.contains(named), "no problem names " + named + ":\n" + all);
    }
  }

  @Test
  void theShapeAndTheStepLimitAreChecked() throws Exception {
    assertEquals(List.of("the body must be a JSON object"), problems("[]"));
    assertTrue(problems("{\"name\": \"w\"}").contains("steps is required and must be an array of steps"));
    List<String> tooMany = problems("""
        {"name": "w", "steps": [{"name": "a", "type": "noop"}, {"name": "b", "type": "noop"},
          {"name": "c", "type": "noop"}, {"name": "d", "type": "noop"}]}""");
    assertTrue(tooMany.get(0).contains("at most 3 steps"), tooMany.toString());
    JsonNode error = JSON.valueToTree(assertInstanceOf(WorkflowParser.Invalid.class, parse("{\"steps\": []}")).error());
    assertEquals("invalid_workflow", error.get("error").asText());
  }
}
