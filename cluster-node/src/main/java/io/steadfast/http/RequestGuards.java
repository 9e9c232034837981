package io.steadfast.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * What every API request passes before a route sees it: a change must come from the node's own
 * origin (a web page elsewhere cannot make a browser change anything), the optional bearer token
 * (the full one, or a read-only one that may only read), the body size limit, and (for requests
 * with a body) the JSON content type.
 */
public final class RequestGuards extends AllDirectives {
  static final String TOKEN_KEY = "steadfast.http.auth-token";
  static final String READ_TOKEN_KEY = "steadfast.http.read-token";

  private final byte[] token;
  private final byte[] readToken;
  private final long maxRequestBytes;
  private final ApiErrors errors;

  /**
   * @param token the bearer token every request must carry; empty for none
   * @param readToken a second token that may only read (GET); empty for none
   */
  public RequestGuards(String token, String readToken, long maxRequestBytes, ApiErrors errors) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.readToken = readToken.getBytes(StandardCharsets.UTF_8);
    this.maxRequestBytes = maxRequestBytes;
    this.errors = errors;
  }

  /** @throws ConfigException.BadValue for a read-only token without a full one, or the same as it */
  public static RequestGuards fromConfig(Config config, ApiErrors errors) {
    checkTokens(config);
    return new RequestGuards(config.getString(TOKEN_KEY), config.getString(READ_TOKEN_KEY),
        config.getBytes("steadfast.http.max-request-bytes"), errors);
  }

  /** @throws ConfigException.BadValue for a read-only token without a full one, or the same as it */
  public static void checkTokens(Config config) {
    String token = config.getString(TOKEN_KEY);
    String readToken = config.getString(READ_TOKEN_KEY);
    if (!readToken.isEmpty() && token.isEmpty()) {
      throw new ConfigException.BadValue(READ_TOKEN_KEY,
          "a read-only token needs " + TOKEN_KEY + " as well: without it every request may change anything");
    }
    if (!readToken.isEmpty() && readToken.equals(token)) {
      throw new ConfigException.BadValue(READ_TOKEN_KEY, "must differ from " + TOKEN_KEY);
    }
  }

  /**
   * Applies the origin check, the token check and the size limit to {@code api}. Each part is
   * built here once: the directives run on every request, and a node without a token skips that check.
   */
  public Route guard(Supplier<Route> api) {
    Route sized = withSizeLimit(maxRequestBytes, api);
    return sameOriginChanges(token.length == 0 ? sized : authenticated(sized));
  }

  /** Who a request's Authorization header makes it. */
  enum Access {
    FULL,
    READ_ONLY,
    NONE
  }

  /** What {@code authorization} (the header's value, if any) allows. */
  Access accessOf(Optional<String> authorization) {
    if (token.length == 0) return Access.FULL;
    Optional<byte[]> given = authorization.filter(h -> h.startsWith("Bearer "))
        .map(h -> h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    if (given.isEmpty()) return Access.NONE;
    // Constant-time comparisons: the time taken must not hint at how much of a guess was right.
    if (MessageDigest.isEqual(given.get(), token)) return Access.FULL;
    if (readToken.length > 0 && MessageDigest.isEqual(given.get(), readToken)) return Access.READ_ONLY;
    return Access.NONE;
  }

  /** Reading: nothing a request of this method does changes anything. */
  static boolean reads(HttpMethod method) {
    return method.equals(HttpMethods.GET) || method.equals(HttpMethods.HEAD);
  }

  private Route authenticated(Route inner) {
    return optionalHeaderValueByName("Authorization", header -> extractMethod(method -> switch (accessOf(header)) {
      case FULL -> inner;
      case READ_ONLY -> reads(method) ? inner : errors.reject(StatusCodes.FORBIDDEN, "forbidden",
          "the read-only token may only read (GET); " + method.name() + " needs the full token", null);
      case NONE -> respondWithHeader(WWWAuthenticate.create(HttpChallenge.createOAuth2("steadfast")),
          () -> errors.reject(StatusCodes.UNAUTHORIZED, "unauthorized",
              header.isPresent() ? "the bearer token is not valid" : "this API needs an Authorization: Bearer <token> header",
              null));
    }));
  }

  /**
   * A request that changes something and says it comes from a web page (browsers send
   * {@code Origin} with every such request) must come from a page this node served: else a page
   * on any other site could make an operator's browser cancel tasks or open breakers here. Tools
   * such as curl send no {@code Origin} and pass.
   */
  private Route sameOriginChanges(Route inner) {
    return extractMethod(method -> reads(method) ? inner
        : optionalHeaderValueByName("Origin", origin -> optionalHeaderValueByName("Host", host -> {
          if (origin.isEmpty() || sameOrigin(origin.get(), host.orElse(""))) return inner;
          return errors.reject(StatusCodes.FORBIDDEN, "cross_origin",
              "a change must come from this node's own pages, not from " + origin.get(), null);
        })));
  }

  /** Whether {@code origin} (scheme://host[:port]) names the host and port the request was sent to. */
  static boolean sameOrigin(String origin, String host) {
    int schemeEnd = origin.indexOf("://");
    if (schemeEnd < 0 || host.isEmpty()) return false;
    return origin.substring(schemeEnd + 3).equalsIgnoreCase(host);
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
