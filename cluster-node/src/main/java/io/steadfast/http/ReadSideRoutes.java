package io.steadfast.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.breaker.CircuitBreakers;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.DeadLetterStats;
import io.steadfast.protocol.api.StatsView;
import io.steadfast.protocol.api.TaskPage;
import io.steadfast.stats.ReadSideQueries;
import io.steadfast.task.TaskTypes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What operators read from the read side: {@code GET /api/v1/stats} and {@code GET
 * /api/v1/tasks?status=&type=&limit=&after=}. Both are a moment behind the tasks themselves; the
 * stats say how far.
 */
public final class ReadSideRoutes extends AllDirectives {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;

  private final ActorSystem<?> system;
  private final ReadSideQueries queries;
  private final TaskTypes types;
  private final CircuitBreakers breakers;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;

  public ReadSideRoutes(
      ActorSystem<?> system, ReadSideQueries queries, TaskTypes types, CircuitBreakers breakers, ObjectMapper mapper,
      ApiErrors errors, Duration askTimeout) {
    this.system = system;
    this.queries = queries;
    this.types = types;
    this.breakers = breakers;
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
  }

  public Route routes() {
    return concat(
        path(PathMatchers.segment("api").slash("v1").slash("stats"), () -> get(this::stats)),
        path(PathMatchers.segment("api").slash("v1").slash("tasks"), () -> get(this::tasks)));
  }

  private Route stats() {
    CompletionStage<DeadLetterStats> deadLetters = DeadLetterQueue.ref(system).ask(DeadLetterQueue.GetStats::new, askTimeout);
    CompletionStage<StatsView> stats =
        queries.stats().thenCombine(deadLetters, (view, dlq) -> new StatsView(
            view.totals(), view.rates(), view.byStatus(), view.byType(), view.failuresByErrorType(), view.throughput(),
            breakers.stateCounts(types.names()), dlq, view.readSide(), view.workflows()));
    return errors.whenAnswered(stats, "the read side", view -> complete(StatusCodes.OK, view, Jackson.marshaller(mapper)));
  }

  private Route tasks() {
    return parameterOptional("status", status -> parameterOptional("type", type ->
        parameterOptional("limit", limit -> parameterOptional("after", after -> {
          TaskStatus parsedStatus = null;
          if (status.isPresent()) {
            try {
              parsedStatus = TaskStatus.valueOf(status.get());
            } catch (IllegalArgumentException e) {
              return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query",
                  "status must be one of " + Arrays.toString(TaskStatus.values()) + " but was '" + status.get() + "'", null);
            }
          }
          if (type.isPresent() && types.find(type.get()).isEmpty()) {
            return errors.reject(StatusCodes.BAD_REQUEST, "unknown_task_type", "unknown task type '" + type.get() + "'",
                Map.of("knownTypes", types.names()));
          }
          Optional<Long> parsedLimit = QueryParams.longBetween(limit, 1, MAX_LIMIT);
          if (limit.isPresent() && parsedLimit.isEmpty()) {
            return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query",
                "limit must be an integer between 1 and " + MAX_LIMIT + " but was '" + limit.get() + "'", null);
          }
          ReadSideQueries.Cursor cursor = null;
          if (after.isPresent()) {
            try {
              cursor = ReadSideQueries.Cursor.parse(after.get());
            } catch (IllegalArgumentException e) {
              return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query",
                  "after must be a nextCursor from an earlier page but was '" + after.get() + "'", null);
            }
          }
          CompletionStage<TaskPage> page = queries.tasks(
              parsedStatus, type.orElse(null), parsedLimit.map(Long::intValue).orElse(DEFAULT_LIMIT), cursor);
          return errors.whenAnswered(page, "the read side", result -> complete(StatusCodes.OK, result, Jackson.marshaller(mapper)));
        }))));
  }

}
