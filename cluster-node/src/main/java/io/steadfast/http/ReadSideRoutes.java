package io.steadfast.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.TaskPage;
import io.steadfast.stats.ReadSideQueries;
import io.steadfast.stats.TaskFilter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What operators read from the read side: {@code GET /api/v1/stats}, {@code GET
 * /api/v1/stats/throughput} and {@code GET /api/v1/tasks} (filtered, keyset-paged). All are a
 * moment behind the tasks themselves; the stats say how far.
 */
public final class ReadSideRoutes extends AllDirectives {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;
  static final int DEFAULT_MINUTES = 15;
  static final int DEFAULT_BUCKET_SECONDS = 10;
  /** A chart has no use for more points than this, and each costs a row to fill. */
  static final int MAX_BUCKETS = 1440;

  private final ClusterFigures figures;
  private final ObjectMapper mapper;
  private final ApiErrors errors;

  public ReadSideRoutes(ClusterFigures figures, ObjectMapper mapper, ApiErrors errors) {
    this.figures = figures;
    this.mapper = mapper;
    this.errors = errors;
  }

  public Route routes() {
    return concat(
        path(PathMatchers.segment("api").slash("v1").slash("stats"), () -> get(() -> answer(figures.stats()))),
        path(PathMatchers.segment("api").slash("v1").slash("stats").slash("throughput"),
            () -> get(() -> parameterMap(this::throughput))),
        path(PathMatchers.segment("api").slash("v1").slash("tasks"), () -> get(() -> parameterMap(this::tasks))));
  }

  private Route throughput(Map<String, String> query) {
    Optional<Long> minutes = QueryParams.longBetween(Optional.ofNullable(query.get("minutes")), 1, 24 * 60);
    if (query.containsKey("minutes") && minutes.isEmpty()) {
      return badQuery("minutes must be an integer between 1 and 1440 but was '" + query.get("minutes") + "'");
    }
    Optional<Long> bucketSeconds = QueryParams.longBetween(Optional.ofNullable(query.get("bucketSeconds")), 1, 3600);
    if (query.containsKey("bucketSeconds") && bucketSeconds.isEmpty()) {
      return badQuery("bucketSeconds must be an integer between 1 and 3600 but was '" + query.get("bucketSeconds") + "'");
    }
    Duration window = Duration.ofMinutes(minutes.orElse((long) DEFAULT_MINUTES));
    Duration bucket = Duration.ofSeconds(bucketSeconds.orElse((long) DEFAULT_BUCKET_SECONDS));
    if (window.toSeconds() / bucket.toSeconds() > MAX_BUCKETS) {
      return badQuery("minutes x 60 / bucketSeconds must be at most " + MAX_BUCKETS + " buckets but is "
          + window.toSeconds() / bucket.toSeconds());
    }
    return answer(figures.throughput(window, bucket));
  }

  private Route tasks(Map<String, String> query) {
    TaskStatus status = null;
    if (query.containsKey("status")) {
      try {
        status = TaskStatus.valueOf(query.get("status"));
      } catch (IllegalArgumentException e) {
        return badQuery("status must be one of " + Arrays.toString(TaskStatus.values()) + " but was '" + query.get("status") + "'");
      }
    }
    String type = query.get("type");
    if (type != null && figures.types().find(type).isEmpty()) {
      return errors.reject(StatusCodes.BAD_REQUEST, "unknown_task_type", "unknown task type '" + type + "'",
          Map.of("knownTypes", figures.types().names()));
    }
    Long createdFrom;
    Long createdBefore;
    try {
      createdFrom = instant(query, "createdFrom");
      createdBefore = instant(query, "createdBefore");
    } catch (IllegalArgumentException e) {
      return badQuery(e.getMessage());
    }
    Optional<Long> limit = QueryParams.longBetween(Optional.ofNullable(query.get("limit")), 1, MAX_LIMIT);
    if (query.containsKey("limit") && limit.isEmpty()) {
      return badQuery("limit must be an integer between 1 and " + MAX_LIMIT + " but was '" + query.get("limit") + "'");
    }
    ReadSideQueries.Cursor cursor = null;
    if (query.containsKey("after")) {
      try {
        cursor = ReadSideQueries.Cursor.parse(query.get("after"));
      } catch (IllegalArgumentException e) {
        return badQuery("after must be a nextCursor from an earlier page but was '" + query.get("after") + "'");
      }
    }
    // A task submitted with a key has the id derived from it: the search is a lookup by id.
    String taskId = query.containsKey("idempotencyKey") ? TaskRoutes.taskIdFor(query.get("idempotencyKey")) : null;
    TaskFilter filter = new TaskFilter(status, type, createdFrom, createdBefore, taskId);
    CompletionStage<TaskPage> page =
        figures.queries().tasks(filter, limit.map(Long::intValue).orElse(DEFAULT_LIMIT), cursor);
    return answer(page);
  }

  /** Epoch milliseconds of the ISO-8601 instant in {@code name}, null when absent. */
  private static Long instant(Map<String, String> query, String name) {
    String raw = query.get(name);
    if (raw == null) return null;
    try {
      return Instant.parse(raw.trim()).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          name + " must be an ISO-8601 instant such as 2030-01-31T12:00:00Z but was '" + raw + "'", e);
    }
  }

  private <T> Route answer(CompletionStage<T> figure) {
    return errors.whenAnswered(figure, "the read side", result -> complete(StatusCodes.OK, result, Jackson.marshaller(mapper)));
  }

  private Route badQuery(String message) {
    return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query", message, null);
  }
}
