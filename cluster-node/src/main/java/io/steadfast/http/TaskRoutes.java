package io.steadfast.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.steadfast.admission.AdmissionControl;
import io.steadfast.protocol.api.BatchItemResult;
import io.steadfast.protocol.api.BatchSubmitResult;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskIds;
import io.steadfast.task.TaskSpec;
import io.steadfast.task.TaskTypes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/tasks}: submit, read and cancel tasks. Any node answers for any task: the request
 * goes through cluster sharding to the node that hosts the task's entity.
 */
public final class TaskRoutes extends AllDirectives {
  static final String TASKS_PATH = "/api/v1/tasks/";
  private static final String MAX_BATCH_SIZE_KEY = "steadfast.http.max-batch-size";

  private final ClusterSharding sharding;
  private final TaskIds taskIds;
  private final SubmissionParser parser;
  private final AdmissionControl admission;
  private final RequestGuards guards;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;
  private final int maxBatchSize;

  /** @param maxBatchSize the most tasks one batch submission may carry */
  public TaskRoutes(
      ActorSystem<?> system, TaskTypes types, TaskIds taskIds, AdmissionControl admission, RequestGuards guards,
      ObjectMapper mapper, ApiErrors errors, Duration askTimeout, int maxBatchSize) {
    this.taskIds = taskIds;
    this.admission = admission;
    this.guards = guards;
    this.sharding = ClusterSharding.get(system);
    this.parser = new SubmissionParser(types, Clock.systemUTC());
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
    this.maxBatchSize = maxBatchSize;
  }

  /** {@code steadfast.http.max-batch-size}; a bad value names its key. */
  public static int maxBatchSize(Config config) {
    int max = config.getInt(MAX_BATCH_SIZE_KEY);
    if (max < 1 || max > 10_000) {
      throw new ConfigException.BadValue(MAX_BATCH_SIZE_KEY, "must be between 1 and 10000 but was " + max);
    }
    return max;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("tasks"),
        () ->
            concat(
                pathEndOrSingleSlash(() -> post(() -> guards.jsonBody(body -> parsed(body, this::submit)))),
                path("batch", () -> post(() -> guards.jsonBody(body -> parsed(body, this::submitBatch)))),
                path(PathMatchers.segment(), id -> get(() -> read(id))),
                path(PathMatchers.segment().slash("cancel"), id -> post(() -> cancel(id)))));
  }

  // ---------------------------------------------------------------- submit

  private Route submit(JsonNode request) {
    SubmissionParser.Result parsed = parser.parse(request);
    if (!(parsed instanceof SubmissionParser.Parsed ok)) {
      return complete(errors.response(StatusCodes.BAD_REQUEST, SubmissionParser.errorOf(parsed)));
    }
    TaskSpec spec = ok.spec();
    Optional<AdmissionControl.Rejection> rejection = admission.admit(spec.priority());
    if (rejection.isPresent()) return answer(new SubmitOutcome.Overloaded(rejection.get()));
    String taskId = newTaskId(spec);
    // No stage callbacks on the ask's answer: Scala's CompletionStage runs even whenComplete
    // asynchronously, a thread hop per submission that a single submission need not pay.
    return onComplete(
        ask(taskId, spec),
        result -> {
          admission.done();
          taskIds.settled(taskId);
          return answer(outcome(taskId, spec, result.isSuccess() ? result.get() : null));
        });
  }

  /**
   * Many tasks in one request: each is admitted, submitted and answered as if it came alone,
   * all at once. The answer (200) lists every task's own status; nothing is submitted if any
   * task is invalid (400).
   */
  private Route submitBatch(JsonNode request) {
    SubmissionParser.BatchResult parsed = parser.parseBatch(request, maxBatchSize);
    if (parsed instanceof SubmissionParser.InvalidBatch invalid) {
      return reject(StatusCodes.BAD_REQUEST, "invalid_batch", invalid.message(),
          invalid.items().isEmpty() ? null : Map.of("items", invalid.items()));
    }
    List<TaskSpec> specs = ((SubmissionParser.ParsedBatch) parsed).specs();
    List<CompletableFuture<SubmitOutcome>> outcomes = new ArrayList<>(specs.size());
    for (TaskSpec spec : specs) outcomes.add(submitOne(spec));
    CompletableFuture<List<SubmitOutcome>> all =
        CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new))
            .thenApply(done -> outcomes.stream().map(CompletableFuture::join).toList());
    return onSuccess(all, this::answerBatch);
  }

  /** Admission, then the entity's answer; never fails (no answer in time is Unavailable). */
  private CompletableFuture<SubmitOutcome> submitOne(TaskSpec spec) {
    Optional<AdmissionControl.Rejection> rejection = admission.admit(spec.priority());
    if (rejection.isPresent()) return CompletableFuture.completedFuture(new SubmitOutcome.Overloaded(rejection.get()));
    String taskId = newTaskId(spec);
    return ask(taskId, spec)
        .handle((reply, failure) -> {
          admission.done();
          taskIds.settled(taskId);
          return outcome(taskId, spec, reply);
        })
        .toCompletableFuture();
  }

  private CompletionStage<TaskEntity.SubmitReply> ask(String taskId, TaskSpec spec) {
    return entity(taskId).ask(replyTo -> new TaskEntity.Submit(spec, replyTo), askTimeout);
  }

  /** @param reply null when the entity did not answer in time */
  private SubmitOutcome outcome(String taskId, TaskSpec spec, TaskEntity.SubmitReply reply) {
    if (reply instanceof TaskEntity.Accepted accepted) return new SubmitOutcome.Accepted(accepted.task());
    if (reply instanceof TaskEntity.AlreadySubmitted existing) return new SubmitOutcome.AlreadySubmitted(existing.task());
    if (reply instanceof TaskEntity.IdempotencyConflict conflict) {
      return new SubmitOutcome.Conflict(spec.idempotencyKey(), conflict.existing());
    }
    return new SubmitOutcome.Unavailable(taskId, askTimeout);
  }

  private Route answer(SubmitOutcome outcome) {
    StatusCode status = StatusCodes.get(outcome.status());
    Route answer = outcome.task() != null
        ? respondWithHeader(Location.create(TASKS_PATH + outcome.task().id()),
            () -> complete(status, outcome.task(), Jackson.marshaller(mapper)))
        : complete(errors.response(status, outcome.error()));
    return withRetryAfter(outcome.retryAfter(), answer);
  }

  /** 200 with every task's result; Retry-After when some tasks are worth sending again later. */
  private Route answerBatch(List<SubmitOutcome> outcomes) {
    List<BatchItemResult> results = new ArrayList<>(outcomes.size());
    int accepted = 0;
    int alreadySubmitted = 0;
    Duration retryAfter = null;
    for (int i = 0; i < outcomes.size(); i++) {
      SubmitOutcome outcome = outcomes.get(i);
      results.add(new BatchItemResult(i, outcome.status(), outcome.task(), outcome.error()));
      if (outcome instanceof SubmitOutcome.Accepted) accepted++;
      if (outcome instanceof SubmitOutcome.AlreadySubmitted) alreadySubmitted++;
      if (outcome.retryAfter() != null && (retryAfter == null || outcome.retryAfter().compareTo(retryAfter) > 0)) {
        retryAfter = outcome.retryAfter();
      }
    }
    BatchSubmitResult result =
        new BatchSubmitResult(accepted, alreadySubmitted, outcomes.size() - accepted - alreadySubmitted, results);
    return withRetryAfter(retryAfter, complete(StatusCodes.OK, result, Jackson.marshaller(mapper)));
  }

  private Route withRetryAfter(Duration retryAfter, Route route) {
    return retryAfter == null ? route : respondWithHeader(RetryAfter.create(retryAfter.toSeconds()), () -> route);
  }

  /** The body as JSON for {@code inner}, or 400 malformed_json. */
  private Route parsed(String body, Function<JsonNode, Route> inner) {
    JsonNode request;
    try {
      request = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      return reject(StatusCodes.BAD_REQUEST, "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
    }
    return inner.apply(request);
  }

  /** A task submitted without an idempotency key gets an id minted by this node ({@link TaskIds#mint}). */
  private String newTaskId(TaskSpec spec) {
    return spec.idempotencyKey() == null ? taskIds.mint(spec.type()) : taskIdFor(spec.idempotencyKey());
  }

  /** A task submitted with an idempotency key has an id derived from the key ({@link TaskSpec#idFor}). */
  static String taskIdFor(String idempotencyKey) {
    return TaskSpec.idFor(idempotencyKey);
  }

  // ---------------------------------------------------------------- read

  private Route read(String taskId) {
    if (!isTaskId(taskId)) return notFound(taskId);
    CompletionStage<TaskEntity.GetReply> reply = entity(taskId).ask(TaskEntity.Get::new, askTimeout);
    return onComplete(
        reply,
        result -> {
          if (result.isFailure()) return unavailable(taskId);
          if (result.get() instanceof TaskEntity.Found found) {
            return complete(StatusCodes.OK, found.task(), Jackson.marshaller(mapper));
          }
          return notFound(taskId);
        });
  }

  private Route cancel(String taskId) {
    if (!isTaskId(taskId)) return notFound(taskId);
    CompletionStage<TaskEntity.CancelReply> reply = entity(taskId).ask(TaskEntity.Cancel::new, askTimeout);
    return onComplete(
        reply,
        result -> {
          if (result.isFailure()) return unavailable(taskId);
          TaskEntity.CancelReply answer = result.get();
          if (answer instanceof TaskEntity.CancelAccepted accepted) {
            return complete(StatusCodes.OK, accepted.task(), Jackson.marshaller(mapper));
          } else if (answer instanceof TaskEntity.CancelRefused refused) {
            return reject(StatusCodes.CONFLICT, "task_already_ended",
                "task " + taskId + " already ended as " + refused.task().status(), Map.of("task", refused.task()));
          }
          return notFound(taskId);
        });
  }

  /** Task ids are UUIDs; anything else cannot exist, and must not start an entity. */
  private static boolean isTaskId(String candidate) {
    try {
      return UUID.fromString(candidate).toString().equals(candidate);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- helpers

  private EntityRef<TaskEntity.Command> entity(String taskId) {
    return sharding.entityRefFor(TaskEntity.ENTITY_KEY, taskId);
  }

  private Route notFound(String taskId) {
    return reject(StatusCodes.NOT_FOUND, "task_not_found", "no task with id '" + taskId + "'", null);
  }

  private Route unavailable(String taskId) {
    return errors.unavailable("timeout",
        "task " + taskId + " did not answer within " + askTimeout.toMillis() + " ms; it is safe to retry"
            + " with the same idempotencyKey");
  }

  private Route reject(StatusCode status, String code, String message, Object details) {
    return complete(errors.response(status, code, message, details));
  }
}
