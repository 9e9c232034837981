package io.steadfast.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API's OpenAPI document as a contract that tests hold answers to: swagger-parser says
 * whether it is a valid OpenAPI 3.0 document, and networknt's json-schema-validator (its OpenAPI
 * 3.0 dialect: {@code nullable}, formats) whether a body fits the schema of its documented status.
 */
public final class OpenApiContract {
  /** The name the validator knows the document by; mapped to it, never fetched. */
  private static final String LOCATION = "https://steadfast.invalid/api/v1/openapi.json";

  private final JsonNode document;
  private final SchemaRegistry schemas;

  public OpenApiContract(JsonNode document) {
    this.document = document;
    String strict = everyPropertyDeclared(document.deepCopy()).toString();
    this.schemas = SchemaRegistry.withDialect(Dialects.getOpenApi30(), registry -> registry.schemas(Map.of(LOCATION, strict)));
  }

  /** What swagger-parser finds wrong with {@code json} as an OpenAPI 3.0 document; empty if nothing. */
  public static List<String> openApi30Problems(String json) {
    ParseOptions options = new ParseOptions();
    options.setResolve(true); // also reports a $ref that points nowhere
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(json, null, options);
    List<String> problems = new ArrayList<>(result.getMessages() == null ? List.of() : result.getMessages());
    if (result.getOpenAPI() == null || !result.getOpenAPI().getOpenapi().startsWith("3.0.")) {
      problems.add("not an OpenAPI 3.0 document");
    }
    return problems;
  }

  /** The documented answer of an operation for {@code status}, its $ref followed; missing if none. */
  public JsonNode response(String method, String template, int status) {
    return document.at(responsePointer(method, template, status));
  }

  /**
   * What is wrong with {@code body} for the JSON schema documented for {@code status}; empty if
   * nothing, or if that answer documents no JSON body.
   */
  public List<String> bodyProblems(String method, String template, int status, String body) {
    String pointer = responsePointer(method, template, status) + "/content/application~1json/schema";
    if (document.at(pointer).isMissingNode()) return List.of();
    return schemas.getSchema(SchemaLocation.of(LOCATION + "#" + pointer)).validate(body, InputFormat.JSON)
        .stream().map(Error::toString).toList();
  }

  private String responsePointer(String method, String template, int status) {
    String pointer = "/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + method.toLowerCase(Locale.ROOT)
        + "/responses/" + status;
    JsonNode response = document.at(pointer);
    return response.has("$ref") ? response.get("$ref").asText().substring(1) : pointer;
  }

  /**
   * Gives every object schema that lists its properties {@code additionalProperties: false},
   * unless it says otherwise, so that a field the nodes send but the document does not show fails
   * like a wrong type does. Only here: the published document leaves clients free to ignore
   * fields added later.
   */
  private static JsonNode everyPropertyDeclared(JsonNode node) {
    if (node instanceof ObjectNode object && object.path("properties").isObject() && !object.has("additionalProperties")) {
      object.put("additionalProperties", false);
    }
    node.forEach(OpenApiContract::everyPropertyDeclared);
    return node;
  }
}
