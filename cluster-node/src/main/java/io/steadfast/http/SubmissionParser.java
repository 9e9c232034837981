package io.steadfast.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.InvalidRetryPolicyException;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.RetryPolicyOverrides;
import io.steadfast.task.TaskSpec;
import io.steadfast.task.TaskType;
import io.steadfast.task.TaskTypes;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns the body of {@code POST /api/v1/tasks} into a {@link TaskSpec}, applying the type's
 * configured defaults, or into every problem found at once (so a client fixes them in one go).
 */
final class SubmissionParser {
  static final Set<String> FIELDS =
      new TreeSet<>(
          Set.of("type", "payload", "idempotencyKey", "priority", "delayMs", "runAt", "attemptTimeoutMs",
              "retryPolicy"));
  static final int MAX_IDEMPOTENCY_KEY_LENGTH = 200;
  static final long MAX_DELAY_MS = 365L * 24 * 3600 * 1000;
  static final long MAX_ATTEMPT_TIMEOUT_MS = 7L * 24 * 3600 * 1000;

  /** Either a spec, or why there is none. */
  sealed interface Result {}

  record Parsed(TaskSpec spec) implements Result {}

  record Invalid(List<String> problems) implements Result {}

  record UnknownType(String type, Set<String> knownTypes) implements Result {}

  private final TaskTypes types;
  private final Clock clock;

  SubmissionParser(TaskTypes types, Clock clock) {
    this.types = types;
    this.clock = clock;
  }

  Result parse(JsonNode request) {
    if (request == null || !request.isObject()) return new Invalid(List.of("the body must be a JSON object"));
    List<String> problems = new ArrayList<>();
    request.fieldNames().forEachRemaining(field -> {
      if (!FIELDS.contains(field)) problems.add("unknown field '" + field + "'; allowed: " + FIELDS);
    });

    JsonNode type = request.get("type");
    if (type == null || !type.isTextual() || type.asText().isBlank()) {
      problems.add("type is required and must be a non-empty string");
    }
    JsonNode payload = present(request, "payload");
    if (payload != null && !payload.isObject()) problems.add("payload must be a JSON object");
    String key = text(request, "idempotencyKey", 1, MAX_IDEMPOTENCY_KEY_LENGTH, problems);
    long priority = integer(request, "priority", TaskSpec.MIN_PRIORITY, TaskSpec.MAX_PRIORITY, TaskSpec.DEFAULT_PRIORITY, problems);
    Instant runAt = runAt(request, problems);
    long timeoutMs = integer(request, "attemptTimeoutMs", 1, MAX_ATTEMPT_TIMEOUT_MS, -1, problems);
    if (!problems.isEmpty()) return new Invalid(problems);

    TaskType taskType = types.find(type.asText()).orElse(null);
    if (taskType == null) return new UnknownType(type.asText(), types.names());
    RetryPolicy policy = retryPolicy(taskType.retryPolicy(), request.get("retryPolicy"), problems);
    if (!problems.isEmpty()) return new Invalid(problems);
    TaskSpec spec =
        new TaskSpec(
            taskType.name(),
            payload == null ? JsonNodeFactory.instance.objectNode() : payload,
            key,
            policy,
            timeoutMs < 0 ? taskType.attemptTimeoutMs() : timeoutMs,
            (int) priority,
            runAt);
    return new Parsed(spec);
  }

  /**
   * The type's policy with a request's overrides applied (any subset of its fields); every
   * problem is named as a {@code retryPolicy.} field.
   */
  static RetryPolicy retryPolicy(RetryPolicy base, JsonNode overrides, List<String> problems) {
    if (overrides == null || overrides.isNull()) return base;
    try {
      return RetryPolicyOverrides.apply(base, overrides);
    } catch (InvalidRetryPolicyException e) {
      e.problems().forEach(problem -> problems.add("retryPolicy: " + problem));
      return base;
    }
  }

  private Instant runAt(JsonNode request, List<String> problems) {
    JsonNode delay = present(request, "delayMs");
    JsonNode at = present(request, "runAt");
    if (delay != null && at != null) {
      problems.add("give either delayMs or runAt, not both");
      return null;
    }
    if (delay != null) {
      long ms = integer(request, "delayMs", 0, MAX_DELAY_MS, 0, problems);
      return ms > 0 ? clock.instant().plusMillis(ms) : null;
    }
    if (at != null) {
      try {
        if (!at.isTextual()) throw new DateTimeParseException("not a string", at.toString(), 0);
        return Instant.parse(at.asText());
      } catch (DateTimeParseException e) {
        problems.add("runAt must be an ISO-8601 UTC time such as 2030-01-31T12:00:00Z but was " + at);
      }
    }
    return null;
  }

  /** The field's value, or null when absent or JSON null. */
  private static JsonNode present(JsonNode request, String field) {
    JsonNode value = request.get(field);
    return value == null || value.isNull() ? null : value;
  }

  private static long integer(JsonNode request, String field, long min, long max, long absent, List<String> problems) {
    JsonNode value = present(request, field);
    if (value == null) return absent;
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      problems.add(field + " must be an integer between " + min + " and " + max + " but was " + value);
      return absent;
    }
    long number = value.asLong();
    if (number < min || number > max) {
      problems.add(field + " must be between " + min + " and " + max + " but was " + number);
      return absent;
    }
    return number;
  }

  private static String text(JsonNode request, String field, int minLength, int maxLength, List<String> problems) {
    JsonNode value = present(request, field);
    if (value == null) return null;
    if (!value.isTextual() || value.asText().length() < minLength || value.asText().length() > maxLength) {
      problems.add(field + " must be a string of " + minLength + " to " + maxLength + " characters");
      return null;
    }
    return value.asText();
  }
}
