package io.steadfast.http;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * What every API request passes before a route sees it: the optional bearer token, the body
 * size limit, and (for requests with a body) the JSON content type.
 */
public final class RequestGuards extends AllDirectives {
  private final byte[] token;
  private final long maxRequestBytes;
  private final ApiErrors errors;

  /**
   * @param token the bearer token every request must carry; empty for none
   */
  public RequestGuards(String token, long maxRequestBytes, ApiErrors errors) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.maxRequestBytes = maxRequestBytes;
    this.errors = errors;
  }

  public static RequestGuards fromConfig(Config config, ApiErrors errors) {
    return new RequestGuards(
        config.getString("steadfast.http.auth-token"), config.getBytes("steadfast.http.max-request-bytes"), errors);
  }

  /** Applies the token check and the size limit to {@code api}. */
  public Route guard(Supplier<Route> api) {
    return authenticated(() -> withSizeLimit(maxRequestBytes, api));
  }

  private Route authenticated(Supplier<Route> inner) {
    if (token.length == 0) return inner.get();
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<byte[]> given = header.filter(h -> h.startsWith("Bearer ")).map(h -> h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
      // Constant-time comparison: the time taken must not hint at how much of a guess was right.
      if (given.isPresent() && MessageDigest.isEqual(given.get(), token)) return inner.get();
      HttpHeader challenge = WWWAuthenticate.create(HttpChallenge.createOAuth2("steadfast"));
      return respondWithHeader(challenge, () -> errors.reject(StatusCodes.UNAUTHORIZED, "unauthorized",
          header.isPresent() ? "the bearer token is not valid" : "this API needs an Authorization: Bearer <token> header",
          null));
    });
  }

  /** The body as text, if it is JSON (or empty); 415 for any other content type. */
  public Route jsonBody(Function<String, Route> inner) {
    return extractRequestEntity(entity -> {
      boolean empty = entity.isKnownEmpty() || entity.getContentLengthOption().orElse(-1L) == 0;
      if (!empty && !entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
        return errors.reject(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
            "the body must be application/json but was " + entity.getContentType().mediaType(), null);
      }
      return entity(Unmarshaller.entityToString(), inner);
    });
  }
}
