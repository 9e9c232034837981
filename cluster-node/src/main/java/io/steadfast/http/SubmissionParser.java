package io.steadfast.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.InvalidRetryPolicyException;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.RetryPolicyOverrides;
import io.steadfast.protocol.api.ApiError;
import io.steadfast.protocol.api.BatchItemResult;
import io.steadfast.task.TaskSpec;
import io.steadfast.task.TaskType;
import io.steadfast.task.TaskTypes;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns the body of {@code POST /api/v1/tasks} into a {@link TaskSpec}, applying the type's
 * configured defaults, or into every problem found at once (so a client fixes them in one go);
 * and the body of {@code POST /api/v1/tasks/batch} into a spec per task, or every invalid task.
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

  /** Either every task of a batch, or why none of them is taken. */
  sealed interface BatchResult {}

  record ParsedBatch(List<TaskSpec> specs) implements BatchResult {}

  /** @param items each invalid task's error, by its index in {@code tasks}; empty if the envelope is wrong */
  record InvalidBatch(String message, List<BatchItemResult> items) implements BatchResult {}

  static final String BATCH_FIELD = "tasks";
  /** How many invalid tasks a batch's error message names (details list them all). */
  private static final int PROBLEMS_NAMED = 3;

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

  /** The 400 error for a submission that did not parse. */
  static ApiError errorOf(Result unparsed) {
    if (unparsed instanceof Invalid invalid) {
      return new ApiError("invalid_request", String.join("; ", invalid.problems()), Map.of("problems", invalid.problems()));
    }
    UnknownType unknown = (UnknownType) unparsed;
    return new ApiError("unknown_task_type", "unknown task type '" + unknown.type() + "'",
        Map.of("knownTypes", unknown.knownTypes()));
  }

  /**
   * A batch is {@code {"tasks": [submission, ...]}} with 1 to {@code maxTasks} submissions, each
   * as {@link #parse} takes it. One invalid task makes the whole batch invalid, so that a client
   * never has to find out which half of a bad batch went in.
   */
  BatchResult parseBatch(JsonNode request, int maxTasks) {
    String shape = "the body must be {\"" + BATCH_FIELD + "\": [task, ...]} with 1 to " + maxTasks
        + " tasks (steadfast.http.max-batch-size), each as POST /api/v1/tasks takes it";
    if (request == null || !request.isObject()) return new InvalidBatch(shape, List.of());
    List<String> unknown = new ArrayList<>();
    request.fieldNames().forEachRemaining(field -> {
      if (!field.equals(BATCH_FIELD)) unknown.add(field);
    });
    if (!unknown.isEmpty()) return new InvalidBatch("unknown fields " + unknown + "; " + shape, List.of());
    JsonNode tasks = request.get(BATCH_FIELD);
    if (tasks == null || !tasks.isArray() || tasks.isEmpty()) return new InvalidBatch(shape, List.of());
    if (tasks.size() > maxTasks) {
      return new InvalidBatch("the batch has " + tasks.size() + " tasks; " + shape, List.of());
    }
    List<TaskSpec> specs = new ArrayList<>(tasks.size());
    List<BatchItemResult> invalid = new ArrayList<>();
    for (int i = 0; i < tasks.size(); i++) {
      Result parsed = parse(tasks.get(i));
      if (parsed instanceof Parsed ok) specs.add(ok.spec());
      else invalid.add(new BatchItemResult(i, 400, null, errorOf(parsed)));
    }
    if (invalid.isEmpty()) return new ParsedBatch(specs);
    String named = invalid.stream().limit(PROBLEMS_NAMED)
        .map(item -> BATCH_FIELD + "[" + item.index() + "]: " + item.error().message())
        .collect(Collectors.joining("; "));
    String more = invalid.size() > PROBLEMS_NAMED ? "; ... (all in details.items)" : "";
    return new InvalidBatch(
        invalid.size() + " of " + tasks.size() + " tasks are invalid, so none was submitted: " + named + more, invalid);
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
