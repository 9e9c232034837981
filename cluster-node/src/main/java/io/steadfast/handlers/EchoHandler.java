package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Returns what it was given: {@code {"payload": ..., "dependencies": {step: result, ...}}}. For a
 * workflow's step it shows the data flowing along the graph; for demos and tests.
 */
public final class EchoHandler implements TaskHandler {
  @Override
  public String name() {
    return "echo";
  }

  @Override
  public JsonNode execute(TaskContext context) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.set("payload", context.payload());
    ObjectNode dependencies = result.putObject("dependencies");
    context.dependencyResults().forEach(dependencies::set);
    return result;
  }
}
