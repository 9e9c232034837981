package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;

/** Reads the task view JSON (README, "The API"). Its times are the nodes' clocks, this machine's. */
final class Views {
  private Views() {}

  static Instant time(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    return value == null || value.isNull() ? null : Instant.parse(value.asText());
  }

  static String status(JsonNode view) {
    return view.path("status").asText();
  }

  static boolean succeeded(JsonNode view) {
    return status(view).equals("SUCCEEDED");
  }

  static boolean isTerminal(JsonNode view) {
    String status = status(view);
    return status.equals("SUCCEEDED") || status.equals("DEAD_LETTERED") || status.equals("CANCELLED");
  }

  static JsonNode lastAttempt(JsonNode view) {
    JsonNode history = view.path("history");
    return history.size() == 0 ? null : history.get(history.size() - 1);
  }

  /**
   * Submission (createdAt) to the start of the first attempt, in ms: 0 for a task that started at
   * once (its Submitted and first AttemptStarted are one write); -1 if none started.
   */
  static long waitedMs(JsonNode view) {
    JsonNode history = view.path("history");
    Instant started = history.size() == 0 ? null : time(history.get(0), "startedAt");
    return started == null ? -1 : Duration.between(time(view, "createdAt"), started).toMillis();
  }

  /** Start to end of the last attempt, in ms: its journal write, the handler, the result back; -1 if it has not ended. */
  static long lastAttemptMs(JsonNode view) {
    JsonNode attempt = lastAttempt(view);
    Instant ended = time(attempt, "endedAt");
    return ended == null ? -1 : Duration.between(time(attempt, "startedAt"), ended).toMillis();
  }

  /** Submission (createdAt) to the end of the last attempt, in ms; -1 if it has not ended. */
  static long latencyMs(JsonNode view) {
    Instant ended = time(lastAttempt(view), "endedAt");
    return ended == null ? -1 : Duration.between(time(view, "createdAt"), ended).toMillis();
  }
}
