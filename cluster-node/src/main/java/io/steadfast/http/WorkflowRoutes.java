package io.steadfast.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.StepReadiness;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.protocol.api.WorkflowPage;
import io.steadfast.protocol.api.WorkflowStepView;
import io.steadfast.protocol.api.WorkflowView;
import io.steadfast.stats.ReadSideQueries;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskTypes;
import io.steadfast.workflow.WorkflowEntity;
import io.steadfast.workflow.WorkflowGraph;
import io.steadfast.workflow.WorkflowViews;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/workflows}: submit, read, list and cancel workflows, from any node. A
 * workflow's view carries each step's readiness, read from the step's task while it runs.
 */
public final class WorkflowRoutes extends AllDirectives {
  static final String WORKFLOWS_PATH = "/api/v1/workflows/";
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;

  private final ClusterSharding sharding;
  private final WorkflowParser parser;
  private final ReadSideQueries readSide;
  private final RequestGuards guards;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;

  public WorkflowRoutes(
      ActorSystem<?> system, TaskTypes types, int maxSteps, ReadSideQueries readSide, RequestGuards guards,
      ObjectMapper mapper, ApiErrors errors, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.parser = new WorkflowParser(types, maxSteps);
    this.readSide = readSide;
    this.guards = guards;
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("workflows"),
        () -> concat(
            pathEndOrSingleSlash(() -> concat(
                post(() -> guards.jsonBody(this::submit)),
                get(this::list))),
            path(PathMatchers.segment(), id -> get(() -> read(id))),
            path(PathMatchers.segment().slash("cancel"), id -> post(() -> cancel(id)))));
  }

  // ---------------------------------------------------------------- submit

  private Route submit(String body) {
    JsonNode request;
    try {
      request = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      return errors.reject(StatusCodes.BAD_REQUEST, "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
    }
    WorkflowParser.Result parsed = parser.parse(request);
    if (parsed instanceof WorkflowParser.Invalid invalid) {
      return complete(errors.response(StatusCodes.BAD_REQUEST, invalid.error()));
    }
    var spec = ((WorkflowParser.Parsed) parsed).spec();
    String id = WorkflowGraph.workflowIdFor(spec.idempotencyKey());
    CompletionStage<WorkflowEntity.SubmitReply> reply =
        workflow(id).ask(replyTo -> new WorkflowEntity.Submit(spec, replyTo), askTimeout);
    return errors.whenAnswered(reply, "workflow " + id, answer -> {
      if (answer instanceof WorkflowEntity.Accepted accepted) return created(accepted.workflow());
      if (answer instanceof WorkflowEntity.AlreadySubmitted existing) {
        return complete(StatusCodes.OK, existing.workflow(), Jackson.marshaller(mapper));
      }
      WorkflowView existing = ((WorkflowEntity.IdempotencyConflict) answer).existing();
      return errors.reject(StatusCodes.CONFLICT, "idempotency_conflict",
          "idempotencyKey '" + spec.idempotencyKey() + "' was already used for a different workflow",
          Map.of("workflowId", existing.id()));
    });
  }

  private Route created(WorkflowView view) {
    return respondWithHeader(Location.create(WORKFLOWS_PATH + view.id()),
        () -> complete(StatusCodes.ACCEPTED, view, Jackson.marshaller(mapper)));
  }

  // ---------------------------------------------------------------- read, cancel

  private Route read(String id) {
    if (!isId(id)) return notFound(id);
    CompletionStage<WorkflowView> view = workflow(id)
        .<WorkflowEntity.GetReply>ask(WorkflowEntity.Get::new, askTimeout)
        .thenCompose(reply -> reply instanceof WorkflowEntity.Found found
            ? withTasks(found.workflow())
            : CompletableFuture.completedFuture(null));
    return errors.whenAnswered(view, "workflow " + id,
        found -> found == null ? notFound(id) : complete(StatusCodes.OK, found, Jackson.marshaller(mapper)));
  }

  /**
   * The view with what each step's task says now, for the steps whose task has not ended as far
   * as the workflow knows. A task that does not answer in time leaves its step as recorded.
   */
  private CompletionStage<WorkflowView> withTasks(WorkflowView view) {
    List<CompletableFuture<TaskView>> reads = new ArrayList<>();
    for (WorkflowStepView step : view.steps()) {
      if (step.taskId() == null || step.state() == StepReadiness.SUCCEEDED || step.state() == StepReadiness.CANCELLED) {
        continue;
      }
      reads.add(sharding.entityRefFor(TaskEntity.ENTITY_KEY, step.taskId())
          .<TaskEntity.GetReply>ask(TaskEntity.Get::new, askTimeout)
          .handle((reply, failure) -> reply instanceof TaskEntity.Found found ? found.task() : null)
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<String, TaskView> tasks = new HashMap<>();
      for (CompletableFuture<TaskView> read : reads) {
        TaskView task = read.join();
        if (task != null) tasks.put(task.id(), task);
      }
      return WorkflowViews.withTasks(view, tasks);
    });
  }

  private Route cancel(String id) {
    if (!isId(id)) return notFound(id);
    CompletionStage<WorkflowEntity.CancelReply> reply = workflow(id).ask(WorkflowEntity.Cancel::new, askTimeout);
    return errors.whenAnswered(reply, "workflow " + id, answer -> {
      if (answer instanceof WorkflowEntity.CancelAccepted accepted) {
        return complete(StatusCodes.OK, accepted.workflow(), Jackson.marshaller(mapper));
      }
      if (answer instanceof WorkflowEntity.CancelRefused refused) {
        return errors.reject(StatusCodes.CONFLICT, "workflow_already_ended",
            "workflow " + id + " already ended as " + refused.workflow().status(), Map.of("workflow", refused.workflow()));
      }
      return notFound(id);
    });
  }

  // ---------------------------------------------------------------- list

  private Route list() {
    return parameterOptional("status", status -> parameterOptional("name", name ->
        parameterOptional("limit", limit -> parameterOptional("after", after -> {
          WorkflowStatus parsedStatus = null;
          if (status.isPresent()) {
            try {
              parsedStatus = WorkflowStatus.valueOf(status.get());
            } catch (IllegalArgumentException e) {
              return badQuery("status must be one of " + Arrays.toString(WorkflowStatus.values()) + " but was '"
                  + status.get() + "'");
            }
          }
          Optional<Long> parsedLimit = QueryParams.longBetween(limit, 1, MAX_LIMIT);
          if (limit.isPresent() && parsedLimit.isEmpty()) {
            return badQuery("limit must be an integer between 1 and " + MAX_LIMIT + " but was '" + limit.get() + "'");
          }
          ReadSideQueries.Cursor cursor = null;
          if (after.isPresent()) {
            try {
              cursor = ReadSideQueries.Cursor.parse(after.get());
            } catch (IllegalArgumentException e) {
              return badQuery("after must be a nextCursor from an earlier page but was '" + after.get() + "'");
            }
          }
          CompletionStage<WorkflowPage> page = readSide.workflows(
              parsedStatus, name.orElse(null), parsedLimit.map(Long::intValue).orElse(DEFAULT_LIMIT), cursor);
          return errors.whenAnswered(page, "the read side", result -> complete(StatusCodes.OK, result, Jackson.marshaller(mapper)));
        }))));
  }

  // ---------------------------------------------------------------- helpers

  /** Workflow ids are UUIDs; anything else cannot exist, and must not start an entity. */
  private static boolean isId(String candidate) {
    try {
      return UUID.fromString(candidate).toString().equals(candidate);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private EntityRef<WorkflowEntity.Command> workflow(String id) {
    return sharding.entityRefFor(WorkflowEntity.ENTITY_KEY, id);
  }

  private Route notFound(String id) {
    return errors.reject(StatusCodes.NOT_FOUND, "workflow_not_found", "no workflow with id '" + id + "'", null);
  }

  private Route badQuery(String message) {
    return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query", message, null);
  }
}
