package io.steadfast.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.api.ApiError;
import io.steadfast.schedule.CronSchedule;
import io.steadfast.schedule.ScheduleSpec;
import io.steadfast.task.TaskSpec;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns the body of {@code POST /api/v1/schedules} into a {@link ScheduleSpec}, or into every
 * problem found, each naming its field. The task part is read as a task submission is ({@link
 * SubmissionParser}), less what belongs to one submission (idempotency key, delay, run-at).
 */
final class ScheduleParser {
  static final Set<String> FIELDS = new TreeSet<>(Set.of("id", "cron", "timeZone", "task", "overlap", "catchUp"));
  static final Set<String> TASK_FIELDS =
      new TreeSet<>(Set.of("type", "payload", "priority", "retryPolicy", "attemptTimeoutMs"));
  static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private final SubmissionParser tasks;

  ScheduleParser(SubmissionParser tasks) {
    this.tasks = tasks;
  }

  /** Either a spec, or the 400 error that names every problem. */
  sealed interface Result {}

  record Parsed(ScheduleSpec spec) implements Result {}

  record Invalid(ApiError error) implements Result {}

  static boolean isId(String candidate) {
    return VALID_ID.matcher(candidate).matches();
  }

  Result parse(JsonNode body) {
    List<String> problems = new ArrayList<>();
    if (body == null || !body.isObject()) return invalid(List.of("the body must be a JSON object"));
    body.fieldNames().forEachRemaining(field -> {
      if (!FIELDS.contains(field)) problems.add("unknown field '" + field + "'; allowed: " + FIELDS);
    });
    String id = text(body, "id");
    if (id == null || !isId(id)) problems.add("id is required: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
    String zoneName = body.hasNonNull("timeZone") ? text(body, "timeZone") : "UTC";
    ZoneId zone = null;
    try {
      if (zoneName == null) throw new DateTimeException("not a string");
      zone = ZoneId.of(zoneName);
    } catch (DateTimeException e) {
      problems.add("timeZone must be a time zone id such as UTC or Europe/Berlin but was " + body.get("timeZone"));
    }
    String cron = text(body, "cron");
    if (cron == null) {
      problems.add("cron is required: 5 fields (minute hour day-of-month month day-of-week) or @every <n><s|m|h|d>");
    } else if (zone != null) {
      try {
        CronSchedule.parse(cron, zone);
      } catch (IllegalArgumentException e) {
        problems.add("cron: " + e.getMessage());
      }
    }
    ScheduleSpec.Overlap overlap = choice(body, "overlap", ScheduleSpec.Overlap.class, ScheduleSpec.Overlap.SKIP, problems);
    ScheduleSpec.CatchUp catchUp = choice(body, "catchUp", ScheduleSpec.CatchUp.class, ScheduleSpec.CatchUp.SKIP, problems);
    TaskSpec task = task(body.get("task"), problems);
    if (!problems.isEmpty()) return invalid(problems);
    return new Parsed(new ScheduleSpec(id, cron.trim(), zone.getId(), task, overlap, catchUp));
  }

  private TaskSpec task(JsonNode task, List<String> problems) {
    if (task == null || !task.isObject()) {
      problems.add("task is required: an object with type and, optionally, " + TASK_FIELDS);
      return null;
    }
    List<String> own = new ArrayList<>();
    task.fieldNames().forEachRemaining(field -> {
      if (!TASK_FIELDS.contains(field)) own.add("task: unknown field '" + field + "'; allowed: " + TASK_FIELDS);
    });
    if (!own.isEmpty()) {
      problems.addAll(own);
      return null;
    }
    SubmissionParser.Result parsed = tasks.parse(task);
    if (parsed instanceof SubmissionParser.Parsed ok) return ok.spec();
    if (parsed instanceof SubmissionParser.Invalid invalid) {
      invalid.problems().forEach(problem -> problems.add("task." + problem));
    } else {
      SubmissionParser.UnknownType unknown = (SubmissionParser.UnknownType) parsed;
      problems.add("task.type: unknown task type '" + unknown.type() + "'; known: " + unknown.knownTypes());
    }
    return null;
  }

  private static <E extends Enum<E>> E choice(JsonNode body, String field, Class<E> type, E absent, List<String> problems) {
    if (!body.hasNonNull(field)) return absent;
    String value = text(body, field);
    for (E option : type.getEnumConstants()) {
      if (option.name().equals(value)) return option;
    }
    problems.add(field + " must be one of " + Arrays.toString(type.getEnumConstants()) + " but was " + body.get(field));
    return absent;
  }

  private static String text(JsonNode body, String field) {
    JsonNode value = body.get(field);
    return value != null && value.isTextual() ? value.asText() : null;
  }

  private static Invalid invalid(List<String> problems) {
    return new Invalid(new ApiError("invalid_schedule", String.join("; ", problems), Map.of("problems", problems)));
  }
}
