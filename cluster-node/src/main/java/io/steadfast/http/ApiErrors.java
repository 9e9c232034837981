package io.steadfast.http;

import io.steadfast.membership.Serving;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.api.ApiError;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that shapes error answers: every 4xx and 5xx carries an {@link ApiError} JSON
 * body, including pekko-http's own rejections (unknown path, wrong method, ...) and, through
 * {@link JsonParsingErrorHandler}, its answers to requests it cannot parse.
 */
public final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);
  /** What did not answer is usually moving to another node, which takes seconds. */
  static final Duration RETRY_UNAVAILABLE_AFTER = Duration.ofSeconds(1);

  private final ObjectMapper mapper;

  public ApiErrors(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public HttpResponse response(StatusCode status, String code, String message, Object details) {
    return response(status, new ApiError(code, message, details));
  }

  public HttpResponse response(StatusCode status, ApiError error) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, json(error));
  }

  /**
   * Routes on {@code stage}'s value once it is there; if {@code who} did not answer, 503 (a
   * timeout, or another failure), with a message that says it is safe to try again.
   */
  public <T> Route whenAnswered(CompletionStage<T> stage, String who, Function<T, Route> onSuccess) {
    return Directives.onComplete(stage, result -> {
      if (result.isSuccess()) return onSuccess.apply(result.get());
      Throwable failure = result.failed().get();
      boolean timedOut = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
      return unavailable(timedOut ? "timeout" : "unavailable",
          who + (timedOut ? " did not answer in time" : " could not answer: " + failure.getMessage()) + "; try again");
    });
  }

  /**
   * 503 with {@code Retry-After}: what did not answer is usually moving to another node (a
   * shard after a node's death), which takes seconds, so clients should come back soon.
   */
  public Route unavailable(String code, String message) {
    return Directives.respondWithHeader(RetryAfter.create(RETRY_UNAVAILABLE_AFTER.toSeconds()),
        () -> reject(org.apache.pekko.http.javadsl.model.StatusCodes.SERVICE_UNAVAILABLE, code, message, null));
  }

  /**
   * {@code inner} while this node serves tasks; else 503 with {@code Retry-After} at once,
   * naming the reason, instead of a 503 after the ask timeout.
   */
  public Route whileServing(Serving serving, Supplier<Route> inner) {
    Route route = inner.get();
    return Directives.extractRequestContext(request -> serving.notServingBecause()
        .map(reason -> unavailable("not_serving", "this node cannot serve tasks now: " + reason + "; try again or use another node"))
        .orElse(route));
  }

  /** Completes the request with an error answer. */
  public Route reject(StatusCode status, String code, String message, Object details) {
    return Directives.complete(response(status, code, message, details));
  }

  /** pekko-http's default rejection answers, with their text moved into a JSON error body. */
  public RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, rejection -> rejection.getCause() instanceof EntityStreamSizeException tooLarge
            ? Directives.complete(tooLarge(tooLarge))
            : Directives.complete(response(org.apache.pekko.http.javadsl.model.StatusCodes.BAD_REQUEST,
                "malformed_request", "the request content was malformed: " + rejection.message(), null)))
        .build()
        .withFallback(RejectionHandler.defaultHandler().mapRejectionResponse(this::asJson));
  }

  private HttpResponse tooLarge(EntityStreamSizeException e) {
    return response(org.apache.pekko.http.javadsl.model.StatusCodes.PAYLOAD_TOO_LARGE, "payload_too_large",
        "the request body is larger than the limit of " + e.limit() + " bytes (steadfast.http.max-request-bytes)", null);
  }

  /** Anything thrown inside a route: logged with its cause, answered 500 without internals. */
  public ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> Directives.complete(tooLarge(e)))
        .matchAny(
            e -> {
              log.error("request failed", e);
              return org.apache.pekko.http.javadsl.server.Directives.complete(
                  response(
                      org.apache.pekko.http.javadsl.model.StatusCodes.INTERNAL_SERVER_ERROR,
                      "internal_error",
                      "the node failed to handle the request; see its log",
                      null));
            })
        .build();
  }

  /** A plain-text error answer of pekko-http's, its text moved into an ApiError body. */
  HttpResponse asJson(HttpResponse response) {
    if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) return response;
    String text =
        response.entity() instanceof HttpEntity.Strict strict
            ? strict.getData().utf8String()
            : response.status().reason();
    String code = response.status().reason().toLowerCase(Locale.ROOT).replace(' ', '_');
    return response.withEntity(ContentTypes.APPLICATION_JSON, json(new ApiError(code, text, null)));
  }

  private byte[] json(ApiError error) {
    try {
      return mapper.writeValueAsBytes(error);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render an error body", e);
    }
  }
}
