package io.steadfast.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.admission.AdmissionControl;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskSpec;
import io.steadfast.task.TaskTypes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
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

  private final ClusterSharding sharding;
  private final SubmissionParser parser;
  private final AdmissionControl admission;
  private final RequestGuards guards;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;

  public TaskRoutes(
      ActorSystem<?> system, TaskTypes types, AdmissionControl admission, RequestGuards guards, ObjectMapper mapper,
      ApiErrors errors, Duration askTimeout) {
    this.admission = admission;
    this.guards = guards;
    this.sharding = ClusterSharding.get(system);
    this.parser = new SubmissionParser(types, Clock.systemUTC());
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("tasks"),
        () ->
            concat(
                pathEndOrSingleSlash(() -> post(() -> guards.jsonBody(this::submit))),
                path(PathMatchers.segment(), id -> get(() -> read(id))),
                path(PathMatchers.segment().slash("cancel"), id -> post(() -> cancel(id)))));
  }

  // ---------------------------------------------------------------- submit

  private Route submit(String body) {
    JsonNode request;
    try {
      request = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      return reject(StatusCodes.BAD_REQUEST, "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
    }
    SubmissionParser.Result parsed = parser.parse(request);
    if (parsed instanceof SubmissionParser.Invalid invalid) {
      return reject(StatusCodes.BAD_REQUEST, "invalid_request", String.join("; ", invalid.problems()),
          Map.of("problems", invalid.problems()));
    }
    if (parsed instanceof SubmissionParser.UnknownType unknown) {
      return reject(StatusCodes.BAD_REQUEST, "unknown_task_type",
          "unknown task type '" + unknown.type() + "'", Map.of("knownTypes", unknown.knownTypes()));
    }
    TaskSpec spec = ((SubmissionParser.Parsed) parsed).spec();
    Optional<AdmissionControl.Rejection> rejection = admission.admit(spec.priority());
    if (rejection.isPresent()) return overloaded(rejection.get());
    String taskId = taskIdFor(spec.idempotencyKey());
    CompletionStage<TaskEntity.SubmitReply> reply =
        entity(taskId)
            .<TaskEntity.SubmitReply>ask(replyTo -> new TaskEntity.Submit(spec, replyTo), askTimeout);
    // No stage callbacks on the ask's answer: Scala's CompletionStage runs even whenComplete
    // asynchronously, on a new thread per call where the common pool has one thread (2 cores).
    return onComplete(
        reply,
        result -> {
          admission.done();
          if (result.isFailure()) return unavailable(taskId);
          TaskEntity.SubmitReply answer = result.get();
          if (answer instanceof TaskEntity.Accepted accepted) {
            return withLocation(accepted.task(), StatusCodes.ACCEPTED);
          } else if (answer instanceof TaskEntity.AlreadySubmitted existing) {
            return withLocation(existing.task(), StatusCodes.OK);
          }
          TaskView existing = ((TaskEntity.IdempotencyConflict) answer).existing();
          return reject(StatusCodes.CONFLICT, "idempotency_conflict",
              "idempotencyKey '" + spec.idempotencyKey() + "' was already used for a different request",
              Map.of("taskId", existing.id()));
        });
  }

  /**
   * A task submitted with an idempotency key gets an id derived from the key, so that two
   * submissions racing on different nodes meet in the same entity, which decides between them.
   */
  static String taskIdFor(String idempotencyKey) {
    return idempotencyKey == null
        ? UUID.randomUUID().toString()
        : UUID.nameUUIDFromBytes(("idempotency-key:" + idempotencyKey).getBytes(StandardCharsets.UTF_8)).toString();
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

  private Route withLocation(TaskView task, StatusCode status) {
    return respondWithHeader(
        Location.create(TASKS_PATH + task.id()), () -> complete(status, task, Jackson.marshaller(mapper)));
  }

  /** Past the load bound: come back later; nothing was persisted. */
  private Route overloaded(AdmissionControl.Rejection rejection) {
    long seconds = Math.max(1, rejection.retryAfter().toSeconds());
    return respondWithHeader(
        RetryAfter.create(seconds),
        () -> reject(StatusCodes.TOO_MANY_REQUESTS, "overloaded",
            "this node is at its load limit for priority " + rejection.priority() + " (load " + rejection.load()
                + ", limit " + rejection.limit() + "); retry after " + seconds + " s, or submit with a higher priority",
            Map.of("load", rejection.load(), "limit", rejection.limit(), "priority", rejection.priority())));
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
