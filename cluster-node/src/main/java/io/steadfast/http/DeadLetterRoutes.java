package io.steadfast.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.api.DeadLetterPage;
import io.steadfast.protocol.api.DeadLetterStats;
import io.steadfast.protocol.api.DeadLetterView;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskTypes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code /api/v1/dead-letters}: list, read, redrive and purge the cluster's dead letters, from
 * any node.
 */
public final class DeadLetterRoutes extends AllDirectives {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;
  /** Redrives in flight at once during a bulk redrive. */
  private static final int BULK_PARALLELISM = 8;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final EntityRef<DeadLetterQueue.Command> queue;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;
  private final TaskTypes types;
  private final RequestGuards guards;
  private final Clock clock = Clock.systemUTC();

  /**
   * @param types a redrive's {@code retryPolicy} overrides the task type's configured policy
   */
  public DeadLetterRoutes(
      ActorSystem<?> system, TaskTypes types, RequestGuards guards, ObjectMapper mapper, ApiErrors errors,
      Duration askTimeout) {
    this.guards = guards;
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.queue = DeadLetterQueue.ref(system);
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
    this.types = types;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("dead-letters"),
        () ->
            concat(
                pathEndOrSingleSlash(() -> concat(get(this::list), delete(this::purge))),
                path("stats", () -> get(this::stats)),
                path("retry", () -> post(this::redriveMatching)),
                path(PathMatchers.segment(), taskId -> get(() -> read(taskId))),
                path(PathMatchers.segment().slash("retry"),
                    taskId -> post(() -> guards.jsonBody(body -> redrive(taskId, body))))));
  }

  private Route list() {
    return parameterOptional("type", type -> parameterOptional("errorType", errorType ->
        parameterOptional("limit", limit -> parameterOptional("after", after -> {
          Optional<Long> parsedLimit = QueryParams.longBetween(limit, 1, MAX_LIMIT);
          Optional<Long> parsedAfter = QueryParams.longBetween(after, 1, Long.MAX_VALUE);
          if (limit.isPresent() && parsedLimit.isEmpty()) {
            return badQuery("limit must be an integer between 1 and " + MAX_LIMIT + " but was '" + limit.get() + "'");
          }
          if (after.isPresent() && parsedAfter.isEmpty()) {
            return badQuery("after must be a positive integer (a nextCursor) but was '" + after.get() + "'");
          }
          var filter = new DeadLetterQueue.Filter(type.orElse(null), errorType.orElse(null));
          int size = parsedLimit.map(Long::intValue).orElse(DEFAULT_LIMIT);
          CompletionStage<DeadLetterPage> page =
              queue.ask(replyTo -> new DeadLetterQueue.ListEntries(filter, size, parsedAfter.orElse(null), replyTo), askTimeout);
          return errors.whenAnswered(page, "the dead-letter queue", result -> complete(StatusCodes.OK, result, Jackson.marshaller(mapper)));
        }))));
  }

  private Route stats() {
    CompletionStage<DeadLetterStats> stats = queue.ask(DeadLetterQueue.GetStats::new, askTimeout);
    return errors.whenAnswered(stats, "the dead-letter queue", result -> complete(StatusCodes.OK, result, Jackson.marshaller(mapper)));
  }

  private Route read(String taskId) {
    return errors.whenAnswered(lookup(taskId), "the dead-letter queue", entry -> entry == null
        ? notInQueue(taskId)
        : complete(StatusCodes.OK, entry, Jackson.marshaller(mapper)));
  }

  private Route redrive(String taskId, String body) {
    JsonNode policyOverrides = null;
    if (!body.isBlank()) {
      JsonNode request;
      try {
        request = mapper.readTree(body);
      } catch (JsonProcessingException e) {
        return errors.reject(StatusCodes.BAD_REQUEST, "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
      }
      if (request == null || !request.isObject() || request.size() > 1 || (request.size() == 1 && !request.has("retryPolicy"))) {
        return errors.reject(StatusCodes.BAD_REQUEST, "invalid_request",
            "the body may only hold {\"retryPolicy\": {...}}", null);
      }
      policyOverrides = request.get("retryPolicy");
    }
    JsonNode overrides = policyOverrides;
    return errors.whenAnswered(lookup(taskId), "the dead-letter queue", entry -> {
      if (entry == null) return notInQueue(taskId);
      RetryPolicy policy = null;
      if (overrides != null && !overrides.isNull()) {
        List<String> problems = new ArrayList<>();
        policy = SubmissionParser.retryPolicy(types.retryPolicy(entry.type()), overrides, problems);
        if (!problems.isEmpty()) {
          return errors.reject(StatusCodes.BAD_REQUEST, "invalid_request", String.join("; ", problems),
              Map.of("problems", problems));
        }
      }
      return errors.whenAnswered(redriveTask(taskId, policy), "task " + taskId, reply -> {
        if (reply instanceof TaskEntity.RedriveAccepted accepted) {
          return complete(StatusCodes.OK, accepted.task(), Jackson.marshaller(mapper));
        }
        TaskView task = reply instanceof TaskEntity.RedriveRefused refused ? refused.task() : null;
        return errors.reject(StatusCodes.CONFLICT, "not_dead_lettered",
            "task " + taskId + " is no longer dead-lettered" + (task == null ? "" : " (it is " + task.status() + ")")
                + "; its stale entry was removed", null);
      });
    });
  }

  private Route redriveMatching() {
    return parameterOptional("type", type -> parameterOptional("errorType", errorType -> {
      var filter = new DeadLetterQueue.Filter(type.orElse(null), errorType.orElse(null));
      CompletionStage<DeadLetterPage> matching =
          queue.ask(replyTo -> new DeadLetterQueue.ListEntries(filter, Integer.MAX_VALUE, null, replyTo), askTimeout);
      CompletionStage<Integer> redriven =
          matching.thenCompose(page -> Source.from(page.entries())
              .mapAsyncUnordered(BULK_PARALLELISM, entry -> redriveTask(entry.taskId(), null)
                  .thenApply(reply -> reply instanceof TaskEntity.RedriveAccepted ? 1 : 0))
              .runWith(Sink.fold(0, Integer::sum), system));
      return errors.whenAnswered(redriven, "the dead-letter queue", count -> complete(StatusCodes.OK, Map.of("redriven", count), Jackson.marshaller(mapper)));
    }));
  }

  private Route purge() {
    return parameterOptional("olderThanHours", hours -> parameterOptional("type", type -> {
      Optional<Double> parsed = hours.flatMap(QueryParams::nonNegativeNumber);
      if (parsed.isEmpty()) {
        return badQuery("olderThanHours is required and must be a non-negative number"
            + hours.map(h -> " but was '" + h + "'").orElse(""));
      }
      Instant olderThan = clock.instant().minusMillis((long) (parsed.get() * 3_600_000));
      CompletionStage<DeadLetterQueue.Purged> purged =
          queue.ask(replyTo -> new DeadLetterQueue.Purge(olderThan, type.orElse(null), replyTo), askTimeout);
      return errors.whenAnswered(purged, "the dead-letter queue", result -> complete(StatusCodes.OK, Map.of("purged", result.count()), Jackson.marshaller(mapper)));
    }));
  }

  /** Redrives the task, then takes it out of the queue (also when it was not dead-lettered any more). */
  private CompletionStage<TaskEntity.RedriveReply> redriveTask(String taskId, RetryPolicy policy) {
    EntityRef<TaskEntity.Command> task = sharding.entityRefFor(TaskEntity.ENTITY_KEY, taskId);
    return task.<TaskEntity.RedriveReply>ask(replyTo -> new TaskEntity.Redrive(policy, replyTo), askTimeout)
        .thenCompose(reply -> queue.<DeadLetterQueue.Removed>ask(
                replyTo -> new DeadLetterQueue.Remove(taskId, replyTo), askTimeout)
            .thenApply(removed -> reply));
  }

  private CompletionStage<DeadLetterView> lookup(String taskId) {
    return queue.<DeadLetterQueue.Lookup>ask(replyTo -> new DeadLetterQueue.Get(taskId, replyTo), askTimeout)
        .thenApply(DeadLetterQueue.Lookup::entry);
  }


  private Route notInQueue(String taskId) {
    return errors.reject(StatusCodes.NOT_FOUND, "dead_letter_not_found", "no dead letter for task '" + taskId + "'", null);
  }

  private Route badQuery(String message) {
    return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query", message, null);
  }
}
