package io.steadfast.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.breaker.CircuitBreaker;
import io.steadfast.protocol.api.CircuitBreakerView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/circuit-breakers}: every task type's breaker, read from the breaker itself
 * (wherever in the cluster it runs); reset and force-open for operators; and, when enabled in
 * config, a drill that records failures as if attempts had failed.
 */
public final class CircuitBreakerRoutes extends AllDirectives {
  private final ActorSystem<?> system;
  private final Set<String> types;
  private final ObjectMapper mapper;
  private final ApiErrors errors;
  private final Duration askTimeout;
  private final boolean drillEnabled;

  /** The key that allows {@code simulate-failure}; off by default. */
  public static final String DRILL_KEY = "steadfast.drills.simulate-failure";
  static final int MAX_SIMULATED_FAILURES = 10_000;

  /** @param drillEnabled whether {@code simulate-failure} may run ({@link #DRILL_KEY}) */
  public CircuitBreakerRoutes(
      ActorSystem<?> system, Set<String> types, ObjectMapper mapper, ApiErrors errors, Duration askTimeout,
      boolean drillEnabled) {
    this.drillEnabled = drillEnabled;
    this.system = system;
    this.types = types;
    this.mapper = mapper;
    this.errors = errors;
    this.askTimeout = askTimeout;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("circuit-breakers"),
        () ->
            concat(
                pathEndOrSingleSlash(() -> get(this::all)),
                path(PathMatchers.segment(), type -> get(() -> one(type, CircuitBreaker.Get::new))),
                path(PathMatchers.segment().slash("reset"), type -> post(() -> one(type, CircuitBreaker.Reset::new))),
                path(PathMatchers.segment().slash("open"), type -> post(() -> one(type, CircuitBreaker.ForceOpen::new))),
                path(PathMatchers.segment().slash("simulate-failure"),
                    type -> post(() -> parameterOptional("count", count -> simulateFailure(type, count))))));
  }

  /** Refused unless the drill is enabled, and changes nothing then. */
  private Route simulateFailure(String type, java.util.Optional<String> count) {
    if (!drillEnabled) {
      return errors.reject(StatusCodes.FORBIDDEN, "drill_disabled",
          "failure drills are off on this node; set " + DRILL_KEY + " = on to allow them", null);
    }
    java.util.Optional<Long> n = QueryParams.longBetween(count, 1, MAX_SIMULATED_FAILURES);
    if (n.isEmpty()) {
      return errors.reject(StatusCodes.BAD_REQUEST, "invalid_count",
          "count must be an integer between 1 and " + MAX_SIMULATED_FAILURES + " but was " + count.orElse("missing"), null);
    }
    int failures = n.get().intValue();
    return one(type, replyTo -> new CircuitBreaker.SimulateFailures(failures, replyTo));
  }

  private Route all() {
    List<CompletableFuture<CircuitBreakerView>> views = new ArrayList<>();
    for (String type : types) views.add(ask(type, CircuitBreaker.Get::new).toCompletableFuture());
    CompletionStage<List<CircuitBreakerView>> all =
        CompletableFuture.allOf(views.toArray(CompletableFuture[]::new))
            .thenApply(done -> views.stream().map(CompletableFuture::join).toList());
    return errors.whenAnswered(all, "a circuit breaker", list -> complete(StatusCodes.OK, Map.of("circuitBreakers", list), Jackson.marshaller(mapper)));
  }

  private Route one(String type, Function<ActorRef<CircuitBreakerView>, CircuitBreaker.Command> command) {
    if (!types.contains(type)) {
      return errors.reject(StatusCodes.NOT_FOUND, "unknown_task_type", "no task type '" + type + "' (and so no breaker)",
          Map.of("knownTypes", types));
    }
    return errors.whenAnswered(ask(type, command), "a circuit breaker", view -> complete(StatusCodes.OK, view, Jackson.marshaller(mapper)));
  }

  private CompletionStage<CircuitBreakerView> ask(
      String type, Function<ActorRef<CircuitBreakerView>, CircuitBreaker.Command> command) {
    return CircuitBreaker.ref(system, type).ask(command::apply, askTimeout);
  }

}
