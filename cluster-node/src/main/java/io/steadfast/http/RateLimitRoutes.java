package io.steadfast.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.api.RateLimitView;
import io.steadfast.ratelimit.RateLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /api/v1/rate-limits}: each limited type's limit, where its limiter runs, and this node's pool. */
public final class RateLimitRoutes extends AllDirectives {
  private final RateLimits rateLimits;
  private final ObjectMapper mapper;
  private final ApiErrors errors;

  public RateLimitRoutes(RateLimits rateLimits, ObjectMapper mapper, ApiErrors errors) {
    this.rateLimits = rateLimits;
    this.mapper = mapper;
    this.errors = errors;
  }

  public Route routes() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("rate-limits"),
        () -> concat(
            pathEndOrSingleSlash(() -> get(this::all)),
            path(PathMatchers.segment(), type -> get(() -> one(type)))));
  }

  private Route all() {
    List<CompletableFuture<RateLimitView>> views = new ArrayList<>();
    for (String type : rateLimits.limitedTypes()) views.add(rateLimits.view(type).toCompletableFuture());
    CompletionStage<List<RateLimitView>> all = CompletableFuture.allOf(views.toArray(CompletableFuture[]::new))
        .thenApply(done -> views.stream().map(CompletableFuture::join).toList());
    return errors.whenAnswered(all, "a rate limiter",
        list -> complete(StatusCodes.OK, Map.of("rateLimits", list), Jackson.marshaller(mapper)));
  }

  private Route one(String type) {
    if (rateLimits.limit(type).isEmpty()) {
      return errors.reject(StatusCodes.NOT_FOUND, "no_rate_limit", "task type '" + type + "' has no rate limit",
          Map.of("limitedTypes", rateLimits.limitedTypes()));
    }
    return errors.whenAnswered(rateLimits.view(type), "the rate limiter of '" + type + "'",
        view -> complete(StatusCodes.OK, view, Jackson.marshaller(mapper)));
  }
}
