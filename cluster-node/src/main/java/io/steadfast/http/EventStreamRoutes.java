package io.steadfast.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.api.ApiError;
import io.steadfast.protocol.api.ClusterView;
import io.steadfast.protocol.api.StatsView;
import io.steadfast.protocol.api.ThroughputView;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code GET /api/v1/events}: server-sent events with the cluster's figures, pushed every {@code
 * steadfast.console.push-interval}: {@code stats} (as {@code GET /api/v1/stats}), {@code
 * throughput} (the last 15 minutes in 10 s buckets) and {@code cluster} (as {@code GET
 * /api/v1/cluster}); an {@code unavailable} event (an error body) stands for a figure that could
 * not be read this time. {@code maxEvents} ends the stream after that many events, for scripts.
 * Every subscriber of a node shares one read of each figure per interval ({@link SharedAnswer}).
 */
public final class EventStreamRoutes extends AllDirectives {
  static final Duration THROUGHPUT_WINDOW = Duration.ofMinutes(15);
  static final Duration THROUGHPUT_BUCKET = Duration.ofSeconds(10);
  /** Proxies and browsers drop a silent connection: a comment line this often keeps it. */
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

  private final SharedAnswer<StatsView> stats;
  private final SharedAnswer<ThroughputView> throughput;
  private final SharedAnswer<ClusterView> cluster;
  private final Duration interval;
  private final ObjectMapper mapper;
  private final ApiErrors errors;

  public EventStreamRoutes(ClusterFigures figures, Duration interval, ObjectMapper mapper, ApiErrors errors) {
    // Shared for a little less than the interval, so that each subscriber's tick finds it stale.
    Duration maxAge = interval.multipliedBy(9).dividedBy(10);
    this.stats = new SharedAnswer<>(figures::stats, maxAge, System::nanoTime);
    this.throughput = new SharedAnswer<>(() -> figures.throughput(THROUGHPUT_WINDOW, THROUGHPUT_BUCKET), maxAge, System::nanoTime);
    this.cluster = new SharedAnswer<>(figures::cluster, maxAge, System::nanoTime);
    this.interval = interval;
    this.mapper = mapper;
    this.errors = errors;
  }

  public Route routes() {
    return path(PathMatchers.segment("api").slash("v1").slash("events"), () -> get(() ->
        parameterOptional("maxEvents", maxEvents -> {
          Optional<Long> limit = QueryParams.longBetween(maxEvents, 1, Long.MAX_VALUE);
          if (maxEvents.isPresent() && limit.isEmpty()) {
            return errors.reject(StatusCodes.BAD_REQUEST, "invalid_query",
                "maxEvents must be a positive integer but was '" + maxEvents.get() + "'", null);
          }
          Source<ServerSentEvent, NotUsed> events = Source.tick(Duration.ZERO, interval, "tick")
              .mapAsync(1, tick -> round())
              .mapConcat(round -> round)
              .mapMaterializedValue(cancellable -> NotUsed.getInstance());
          if (limit.isPresent()) events = events.take(limit.get());
          return completeOK(events.keepAlive(KEEP_ALIVE, ServerSentEvent::heartbeat), EventStreamMarshalling.toEventStream());
        })));
  }

  /** One event per figure, in a fixed order, once all three are in (or failed). */
  private CompletionStage<List<ServerSentEvent>> round() {
    CompletableFuture<ServerSentEvent> s = event("stats", stats.get());
    CompletableFuture<ServerSentEvent> t = event("throughput", throughput.get());
    CompletableFuture<ServerSentEvent> c = event("cluster", cluster.get());
    return CompletableFuture.allOf(s, t, c).thenApply(done -> List.of(s.join(), t.join(), c.join()));
  }

  private CompletableFuture<ServerSentEvent> event(String type, CompletionStage<?> figure) {
    return figure.handle((value, failure) -> failure == null
            ? ServerSentEvent.create(json(value), type)
            : ServerSentEvent.create(json(new ApiError("unavailable",
                type + " could not be read now: " + failure.getMessage(), java.util.Map.of("figure", type))), "unavailable"))
        .toCompletableFuture();
  }

  private String json(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render an event", e);
    }
  }
}
