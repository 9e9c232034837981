package io.steadfast.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.schedule.ScheduleEntity;
import io.steadfast.schedule.Schedules;
import io.steadfast.task.TaskTypes;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/schedules}: create, list, read, pause, resume, trigger and delete schedules. Any
 * node answers for any schedule, through sharding.
 */
public final class ScheduleRoutes extends AllDirectives {
  private static final String SCHEDULES_PATH = "/api/v1/schedules/";

  private final ActorSystem<?> system;
  private final Schedules schedules;
  private final ScheduleParser parser;
  private final RequestGuards guards;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;

  public ScheduleRoutes(
      ActorSystem<?> system, Schedules schedules, TaskTypes types, RequestGuards guards, ObjectMapper mapper,
      ApiErrors errors, Duration askTimeout) {
    this.system = system;
    this.schedules = schedules;
    this.parser = new ScheduleParser(new SubmissionParser(types, Clock.systemUTC()));
    this.guards = guards;
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("schedules"),
        () -> concat(
            pathEndOrSingleSlash(() -> concat(
                post(() -> guards.jsonBody(this::create)),
                get(this::list))),
            path(PathMatchers.segment(), id -> concat(
                get(() -> change(id, ScheduleEntity.Get::new)),
                delete(() -> change(id, ScheduleEntity.Delete::new)))),
            path(PathMatchers.segment().slash("pause"), id -> post(() -> change(id, ScheduleEntity.Pause::new))),
            path(PathMatchers.segment().slash("resume"), id -> post(() -> change(id, ScheduleEntity.Resume::new))),
            path(PathMatchers.segment().slash("trigger"), id -> post(() -> trigger(id)))));
  }

  private Route create(String body) {
    JsonNode request;
    try {
      request = mapper.readTree(body);
    } catch (JsonProcessingException e) {
      return errors.reject(StatusCodes.BAD_REQUEST, "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
    }
    ScheduleParser.Result parsed = parser.parse(request);
    if (parsed instanceof ScheduleParser.Invalid invalid) return complete(errors.response(StatusCodes.BAD_REQUEST, invalid.error()));
    var spec = ((ScheduleParser.Parsed) parsed).spec();
    CompletionStage<ScheduleEntity.CreateReply> reply =
        ScheduleEntity.ref(system, spec.id()).ask(replyTo -> new ScheduleEntity.Create(spec, replyTo), askTimeout);
    return errors.whenAnswered(reply, "schedule " + spec.id(), answer -> {
      if (answer instanceof ScheduleEntity.Created created) {
        return respondWithHeader(Location.create(SCHEDULES_PATH + spec.id()),
            () -> complete(StatusCodes.CREATED, created.schedule(), Jackson.marshaller(mapper)));
      }
      if (answer instanceof ScheduleEntity.AlreadyExists existing) {
        return complete(StatusCodes.OK, existing.schedule(), Jackson.marshaller(mapper));
      }
      return errors.reject(StatusCodes.CONFLICT, "schedule_conflict",
          "a different schedule with id '" + spec.id() + "' exists; delete it first to replace it",
          Map.of("existing", ((ScheduleEntity.Conflict) answer).existing()));
    });
  }

  private Route list() {
    return errors.whenAnswered(schedules.list(), "the schedules",
        all -> complete(StatusCodes.OK, Map.of("schedules", all), Jackson.marshaller(mapper)));
  }

  /** Asks the schedule; its view (200) or 404. */
  private Route change(String id, Function<ActorRef<ScheduleEntity.Reply>, ScheduleEntity.Command> command) {
    if (!ScheduleParser.isId(id)) return notFound(id);
    CompletionStage<ScheduleEntity.Reply> reply = ScheduleEntity.ref(system, id).ask(command::apply, askTimeout);
    return errors.whenAnswered(reply, "schedule " + id, answer -> answer instanceof ScheduleEntity.Found found
        ? complete(StatusCodes.OK, found.schedule(), Jackson.marshaller(mapper))
        : notFound(id));
  }

  /** 202 with the submitted task, as a task submission answers. */
  private Route trigger(String id) {
    if (!ScheduleParser.isId(id)) return notFound(id);
    CompletionStage<ScheduleEntity.TriggerReply> reply =
        ScheduleEntity.ref(system, id).ask(ScheduleEntity.TriggerNow::new, askTimeout);
    return errors.whenAnswered(reply, "schedule " + id, answer -> {
      if (answer instanceof ScheduleEntity.Triggered triggered) {
        return respondWithHeader(Location.create(TaskRoutes.TASKS_PATH + triggered.task().id()),
            () -> complete(StatusCodes.ACCEPTED, triggered.task(), Jackson.marshaller(mapper)));
      }
      if (answer instanceof ScheduleEntity.TriggerFailed failed) return errors.unavailable("timeout", failed.reason());
      return notFound(id);
    });
  }

  private Route notFound(String id) {
    return errors.reject(StatusCodes.NOT_FOUND, "schedule_not_found", "no schedule with id '" + id + "'", null);
  }
}
