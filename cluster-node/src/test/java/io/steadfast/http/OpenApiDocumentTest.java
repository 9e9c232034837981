package io.steadfast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document as {@link OpenApiDocument} assembles it, without a cluster: valid OpenAPI
 * 3.0, and what a part may not do. {@code OpenApiProcessIT} holds real answers to it.
 */
class OpenApiDocumentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TASK = """
      {"id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "type": "flaky", "status": "SUCCEEDED",
       "payload": {"failTimes": 1}, "priority": 5, "attempts": 1, "maxAttempts": 4,
       "retryPolicy": {"strategy": "exponential", "initialDelayMs": 200, "multiplier": 2.0, "maxDelayMs": 300000,
                       "jitter": "full", "jitterFactor": 1.0, "maxAttempts": 4},
       "attemptTimeoutMs": 300000, "createdAt": "2026-11-22T06:30:59.243Z", "updatedAt": "2026-11-22T06:30:59.907Z",
       "nextAttemptAt": null, "cancelRequested": false, "lastError": null, "result": {"done": true}, "checkpoint": null,
       "history": [{"attempt": 1, "node": "127.0.0.1:2551", "startedAt": "2026-11-22T06:30:59.250Z",
                    "endedAt": "2026-11-22T06:30:59.300Z", "outcome": "SUCCEEDED", "error": null, "counted": true}]}
      """;

  private final String document = new String(OpenApiDocument.bytes(), StandardCharsets.UTF_8);

  @Test
  void theAssembledDocumentIsValidOpenApi30() {
    assertEquals(List.of(), OpenApiContract.openApi30Problems(document));
  }

  @Test
  void everyOperationDeclaresExactlyThePathParametersOfItsTemplate() {
    ParseOptions options = new ParseOptions();
    options.setResolveFully(true);
    OpenAPI api = new OpenAPIV3Parser().readContents(document, null, options).getOpenAPI();
    List<String> problems = new ArrayList<>();
    api.getPaths().forEach((template, item) -> item.readOperationsMap().forEach((method, operation) -> {
      Set<String> declared = Stream.concat(
              Stream.ofNullable(item.getParameters()).flatMap(List::stream),
              Stream.ofNullable(operation.getParameters()).flatMap(List::stream))
          .filter(parameter -> "path".equals(parameter.getIn()))
          .map(Parameter::getName)
          .collect(Collectors.toCollection(TreeSet::new));
      Set<String> inTemplate = new TreeSet<>();
      Matcher names = Pattern.compile("\\{([^}]+)}").matcher(template);
      while (names.find()) inTemplate.add(names.group(1));
      if (!declared.equals(inTemplate)) problems.add(method + " " + template + " declares " + declared);
    }));
    assertEquals(List.of(), problems);
  }

  @Test
  void aTaskAsNodesAnswerItFitsAndAWrongOneDoesNot() throws Exception {
    OpenApiContract contract = new OpenApiContract(JSON.readTree(document));
    assertEquals(List.of(), contract.bodyProblems("GET", "/api/v1/tasks/{id}", 200, TASK));

    String undocumentedField = TASK.replace("\"priority\": 5", "\"priority\": 5, \"colour\": \"red\"");
    assertProblemNaming("colour", contract.bodyProblems("GET", "/api/v1/tasks/{id}", 200, undocumentedField));
    String unknownStatus = TASK.replace("\"status\": \"SUCCEEDED\"", "\"status\": \"LOST\"");
    assertProblemNaming("/status", contract.bodyProblems("GET", "/api/v1/tasks/{id}", 200, unknownStatus));
    String errorWithoutType = TASK.replace("\"lastError\": null", "\"lastError\": {\"message\": \"x\", \"retryable\": true}");
    assertProblemNaming("'type'", contract.bodyProblems("GET", "/api/v1/tasks/{id}", 200, errorWithoutType));
    // An error answer is held to ApiError through the shared response's $ref.
    assertProblemNaming("'error'", contract.bodyProblems("GET", "/api/v1/tasks/{id}", 404, "{\"message\": \"no code\"}"));
  }

  private static void assertProblemNaming(String name, List<String> problems) {
    assertTrue(problems.stream().anyMatch(problem -> problem.contains(name)), "no problem names " + name + ": " + problems);
  }

  @Test
  void aPartMayNotDefineAPathOrAComponentAgain() {
    ObjectNode assembled = OpenApiDocument.assemble();
    ObjectNode path = JSON.createObjectNode();
    path.putObject("paths").set("/api/v1/tasks", JSON.createObjectNode());
    var again = assertThrows(IllegalStateException.class, () -> OpenApiDocument.merge("late.json", path, assembled));
    assertTrue(again.getMessage().contains("late.json defines paths//api/v1/tasks again"), again.getMessage());

    ObjectNode schema = JSON.createObjectNode();
    schema.putObject("components").putObject("schemas").putObject("TaskView");
    again = assertThrows(IllegalStateException.class, () -> OpenApiDocument.merge("late.json", schema, assembled));
    assertTrue(again.getMessage().contains("components/schemas/TaskView"), again.getMessage());
  }

  @Test
  void aPartHoldsOnlyPathsAndComponents() {
    ObjectNode info = JSON.createObjectNode();
    info.putObject("info").put("title", "another");
    var refused = assertThrows(IllegalStateException.class,
        () -> OpenApiDocument.merge("odd.json", info, OpenApiDocument.assemble()));
    assertTrue(refused.getMessage().contains("odd.json holds 'info'"), refused.getMessage());
  }

  @Test
  void everyFileBesideTheRootIsAPart() throws Exception {
    Path parts = Path.of(OpenApiDocument.class.getResource("openapi").toURI());
    try (Stream<Path> files = Files.list(parts)) {
      assertEquals(new TreeSet<>(OpenApiDocument.PARTS),
          files.map(file -> "openapi/" + file.getFileName()).collect(Collectors.toCollection(TreeSet::new)));
    }
  }
}
