package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;

/** Succeeds at once: for smoke tests and for measuring the cost of the machinery alone. */
public final class NoopHandler implements TaskHandler {
  @Override
  public String name() {
    return "noop";
  }

  @Override
  public JsonNode execute(TaskContext context) {
    return null;
  }
}
