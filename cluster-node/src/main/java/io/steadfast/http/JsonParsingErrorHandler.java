package io.steadfast.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.DefaultParsingErrorHandler;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers a request that pekko-http cannot even parse (a URI past {@code max-uri-length}: 414;
 * too many or too long headers: 431; a malformed request line or header: 400) with an
 * {@link io.steadfast.protocol.api.ApiError} body like every other error, instead of the
 * default plain text. No route, and so no rejection or exception handler, sees such a request.
 *
 * <p>Set as the API server's {@code parsing.error-handler} by {@link HttpServer}; pekko-http
 * creates one per connection, so it holds nothing of its own.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {
  /** An ApiError renders alike with any mapper: it needs none of the node's Jackson settings. */
  private static final ApiErrors ERRORS = new ApiErrors(new ObjectMapper());

  /**
   * The default handler's answer with its text moved into a JSON body: it logs the error as
   * {@code parsing.error-logging-verbosity} says and words it as {@code verbose-error-messages} says.
   */
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    return ERRORS.asJson(DefaultParsingErrorHandler.handle(status, error, log, settings));
  }
}
