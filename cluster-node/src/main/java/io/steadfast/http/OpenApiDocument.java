package io.steadfast.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The API's OpenAPI 3.0 document, written by hand next to this class in parts, each short enough
 * to read: {@code openapi.json} holds the head and what every area shares, and each file of
 * {@link #PARTS} the paths and components of one area. A part holds only {@code paths} and
 * {@code components}, and may not define a path or a component again; its {@code $ref}s point
 * into the assembled document ({@code #/components/...}), which is what nodes serve.
 *
 * <p>To lint what nodes serve: {@code java -cp "cluster-node/target/classes:cluster-node/target/lib/*"
 * io.steadfast.http.OpenApiDocument > openapi.json}, then {@code npx @redocly/cli lint openapi.json}.
 */
public final class OpenApiDocument {
  static final String ROOT = "openapi.json";
  static final List<String> PARTS = List.of(
      "openapi/tasks.json",
      "openapi/task-submissions.json",
      "openapi/task-views.json",
      "openapi/circuit-breakers.json",
      "openapi/dead-letters.json",
      "openapi/dead-letter-views.json",
      "openapi/workflows.json",
      "openapi/workflow-views.json",
      "openapi/cluster.json",
      "openapi/console.json",
      "openapi/schedules.json",
      "openapi/rate-limits.json");

  private static final ObjectMapper JSON = new ObjectMapper();

  private OpenApiDocument() {}

  /**
   * @throws IllegalStateException when a file is missing or unreadable, or a part does not fit
   */
  public static ObjectNode assemble() {
    ObjectNode document = read(ROOT);
    for (String name : PARTS) merge(name, read(name), document);
    return document;
  }

  /** The document as nodes serve it: pretty-printed, for people reading it with curl too. */
  public static byte[] bytes() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(assemble());
    } catch (IOException e) {
      throw new IllegalStateException("cannot render the OpenAPI document", e);
    }
  }

  /** Prints the document as nodes serve it, for linters and other tools. */
  public static void main(String[] args) {
    System.out.writeBytes(bytes());
    System.out.flush();
  }

  static void merge(String name, JsonNode part, ObjectNode document) {
    part.properties().forEach(section -> {
      switch (section.getKey()) {
        case "paths" -> addNew(name, "paths", section.getValue(), document.withObjectProperty("paths"));
        case "components" -> section.getValue().properties().forEach(kind -> addNew(
            name, "components/" + kind.getKey(), kind.getValue(),
            document.withObjectProperty("components").withObjectProperty(kind.getKey())));
        default -> throw new IllegalStateException(
            name + " holds '" + section.getKey() + "'; a part holds only paths and components");
      }
    });
  }

  private static void addNew(String name, String where, JsonNode entries, ObjectNode into) {
    entries.properties().forEach(entry -> {
      if (into.has(entry.getKey())) {
        throw new IllegalStateException(name + " defines " + where + "/" + entry.getKey() + " again");
      }
      into.set(entry.getKey(), entry.getValue());
    });
  }

  private static ObjectNode read(String name) {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException(name + " is missing next to " + OpenApiDocument.class.getName());
      JsonNode node = JSON.readTree(in);
      if (!(node instanceof ObjectNode object)) throw new IllegalStateException(name + " is not a JSON object");
      return object;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + name, e);
    }
  }
}
