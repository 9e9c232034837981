package io.steadfast.handlers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * Calls an HTTP endpoint: payload {@code {"url", "method", "headers", "body", "timeoutMs"}}. Only
 * hosts on {@code steadfast.handlers.http.allowed-hosts} may be called: a task payload comes from
 * whoever may submit tasks, and must not turn the cluster into a proxy to anywhere it can reach.
 *
 * <p>2xx succeeds with {@code {"status", "headers": {"content-type"}, "body"}}; 429, 5xx and
 * network failures are retryable (honouring {@code Retry-After}); other answers are permanent.
 */
public final class HttpHandler implements TaskHandler {
  static final String CONFIG_PATH = "steadfast.handlers.http";
  static final List<String> DEFAULT_ALLOWED_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");
  static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  static final int DEFAULT_MAX_RESULT_BYTES = 64 * 1024;
  /** How often a waiting call looks at the cancellation flag. */
  static final long SLICE_MS = 50;

  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
  private static final int MESSAGE_BODY_CHARS = 200;
  private static final ObjectMapper JSON = new ObjectMapper();

  // Redirects are never followed: the allow-list is checked once, before sending, and a redirect
  // could point anywhere (another host, or https -> http). A 3xx is reported, Location included,
  // as a permanent failure so that the task's author fixes the URL.
  // No proxy either, whatever the JVM's proxy settings: the connection must go to the allowed host.
  // HTTP/1.1 because an h2c upgrade on plain http confuses some servers; webhooks gain nothing.
  private final HttpClient client =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .proxy(HttpClient.Builder.NO_PROXY)
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  private Set<String> allowedHosts = hostKeys(DEFAULT_ALLOWED_HOSTS);
  private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
  private int maxResultBytes = DEFAULT_MAX_RESULT_BYTES;

  @Override
  public String name() {
    return "http";
  }

  @Override
  public void configure(Config config) {
    List<String> hosts = read(config, "allowed-hosts", Config::getStringList, DEFAULT_ALLOWED_HOSTS);
    for (String host : hosts) {
      if (!isBareHost(host)) {
        throw badValue(config, "allowed-hosts",
            "'" + host + "' is not a bare host name or IP address (no scheme, port or path)");
      }
    }
    Duration timeout = read(config, "request-timeout", Config::getDuration, DEFAULT_REQUEST_TIMEOUT);
    if (timeout.isNegative() || timeout.isZero()) {
      throw badValue(config, "request-timeout", "must be positive but was " + timeout);
    }
    long maxBytes = read(config, "max-result-bytes", Config::getBytes, (long) DEFAULT_MAX_RESULT_BYTES);
    if (maxBytes < 0 || maxBytes > Integer.MAX_VALUE) {
      throw badValue(config, "max-result-bytes", "must be between 0 and " + Integer.MAX_VALUE);
    }
    allowedHosts = hostKeys(hosts);
    requestTimeout = timeout;
    maxResultBytes = (int) maxBytes;
  }

  Set<String> allowedHosts() {
    return allowedHosts;
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  int maxResultBytes() {
    return maxResultBytes;
  }

  @Override
  public JsonNode execute(TaskContext context) throws Exception {
    JsonNode payload = context.payload();
    URI uri = checkUrl(payload.get("url"));
    String method = method(payload.get("method"));
    String call = method + " " + uri;

    // The shortest of: the task's own timeout, the attempt's deadline, the configured ceiling.
    Duration timeout = requestTimeout;
    JsonNode timeoutMs = payload.get("timeoutMs");
    if (timeoutMs != null && !timeoutMs.isNull()) {
      if (!timeoutMs.canConvertToLong() || timeoutMs.asLong() <= 0) {
        throw invalid("timeoutMs must be a positive integer but was " + timeoutMs);
      }
      timeout = min(timeout, Duration.ofMillis(timeoutMs.asLong()));
    }
    timeout = min(timeout, Duration.between(Instant.now(), context.deadline()));
    if (timeout.toMillis() <= 0) {
      throw new RetryableTaskException("TIMEOUT", call + " not sent: the attempt's deadline has passed");
    }

    HttpRequest request = request(uri, method, payload.get("headers"), payload.get("body"), timeout);
    HttpResponse<Body> response =
        await(call, client.sendAsync(request, info -> new CappedBody(maxResultBytes)), timeout, context);
    return outcome(call, response);
  }

  // ---------------------------------------------------------------- the request

  private URI checkUrl(JsonNode url) throws PermanentTaskException {
    if (url == null || !url.isTextual() || url.asText().isBlank()) {
      throw invalid("url must be a string such as \"http://127.0.0.1:8080/x\" but was " + url);
    }
    URI uri;
    try {
      uri = new URI(url.asText());
    } catch (URISyntaxException e) {
      throw invalid("url is not a valid URI: " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw invalid("url must use http or https but was '" + url.asText() + "'");
    }
    if (uri.getHost() == null) {
      throw invalid("url has no valid host: '" + url.asText() + "'");
    }
    // Checked here, before anything is sent; the client follows no redirect and uses no proxy.
    if (!allowedHosts.contains(hostKey(uri.getHost()))) {
      throw new PermanentTaskException("HOST_NOT_ALLOWED",
          "host '" + uri.getHost() + "' is not allowed (allowed: " + allowedHosts + "); add it to "
              + CONFIG_PATH + ".allowed-hosts to let http tasks call it");
    }
    return uri;
  }

  private static String method(JsonNode method) throws PermanentTaskException {
    if (method == null || method.isNull()) return "GET";
    String name = method.isTextual() ? method.asText().toUpperCase(Locale.ROOT) : "";
    if (!METHODS.contains(name)) {
      throw invalid("method must be one of " + new TreeSet<>(METHODS) + " but was " + method);
    }
    return name;
  }

  private static HttpRequest request(URI uri, String method, JsonNode headers, JsonNode body, Duration timeout)
      throws PermanentTaskException, JsonProcessingException {
    HttpRequest.Builder builder;
    try {
      builder = HttpRequest.newBuilder(uri).timeout(timeout);
    } catch (IllegalArgumentException e) {
      throw invalid("url is refused by the HTTP client: " + e.getMessage());
    }
    boolean hasContentType = false;
    if (headers != null && !headers.isNull()) {
      if (!headers.isObject()) throw invalid("headers must be an object of strings but was " + headers);
      for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> header = it.next();
        if (!header.getValue().isTextual()) {
          throw invalid("headers." + header.getKey() + " must be a string but was " + header.getValue());
        }
        try {
          builder.header(header.getKey(), header.getValue().asText());
        } catch (IllegalArgumentException e) { // restricted (Host, Content-Length...) or malformed
          throw invalid("headers." + header.getKey() + " is refused: " + e.getMessage());
        }
        hasContentType |= header.getKey().equalsIgnoreCase("Content-Type");
      }
    }
    HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.noBody();
    if (body != null && !body.isNull()) {
      if (body.isTextual()) {
        publisher = HttpRequest.BodyPublishers.ofString(body.asText(), StandardCharsets.UTF_8);
      } else {
        publisher = HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body), StandardCharsets.UTF_8);
        if (!hasContentType) builder.header("Content-Type", "application/json");
      }
    }
    return builder.method(method, publisher).build();
  }

  /**
   * Waits for the call in short slices rather than blocking on it, so that a cancelled attempt
   * aborts the exchange (cancelling the future closes the connection) within {@value #SLICE_MS} ms.
   * The wait also bounds reading the body, which the request timeout alone does not.
   */
  private static <T> T await(String call, CompletableFuture<T> future, Duration timeout, TaskContext context)
      throws Exception {
    long endAt = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        if (context.isCancelled()) {
          throw new RetryableTaskException("CANCELLED", call + " aborted: the attempt was cancelled");
        }
        long leftNanos = endAt - System.nanoTime();
        if (leftNanos <= 0) throw timedOut(call, timeout);
        try {
          return future.get(Math.min(TimeUnit.MILLISECONDS.toNanos(SLICE_MS), leftNanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException stillRunning) {
          // look at the cancellation flag and the clock again
        } catch (ExecutionException e) {
          throw failure(call, e.getCause(), timeout);
        }
      }
    } finally {
      future.cancel(true); // a no-op once complete; otherwise aborts the exchange
    }
  }

  /** Network failures: all retryable, classified for the task's error record. */
  private static RetryableTaskException failure(String call, Throwable cause, Duration timeout) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof HttpConnectTimeoutException) {
        return new RetryableTaskException(
            "TIMEOUT", call + " could not connect within " + timeout.toMillis() + " ms");
      }
      if (t instanceof HttpTimeoutException) return timedOut(call, timeout);
      if (t instanceof ConnectException) {
        return new RetryableTaskException("CONNECT_ERROR", call + " could not connect: " + describe(t));
      }
      if (t instanceof UnknownHostException) {
        return new RetryableTaskException("UNKNOWN_HOST", call + " failed: unknown host " + t.getMessage());
      }
    }
    String type = cause instanceof IOException ? "IO_ERROR" : "HTTP_CLIENT_ERROR";
    return new RetryableTaskException(type, call + " failed: " + describe(cause));
  }

  private static RetryableTaskException timedOut(String call, Duration timeout) {
    return new RetryableTaskException("TIMEOUT", call + " timed out after " + timeout.toMillis() + " ms");
  }

  // ---------------------------------------------------------------- the response

  private static JsonNode outcome(String call, HttpResponse<Body> response)
      throws RetryableTaskException, PermanentTaskException {
    int status = response.statusCode();
    Optional<String> contentType = response.headers().firstValue("Content-Type");
    Body body = response.body();
    if (status >= 200 && status < 300) {
      ObjectNode result = JSON.createObjectNode().put("status", status);
      ObjectNode headers = result.putObject("headers");
      contentType.ifPresent(value -> headers.put("content-type", value));
      result.set("body", bodyNode(body, contentType));
      if (body.truncated()) result.put("truncated", true);
      return result;
    }
    String message = call + " answered " + status;
    if (status >= 300 && status < 400) {
      Optional<String> location = response.headers().firstValue("Location");
      message += location.map(l -> " (redirect to " + l + ", not followed)").orElse("");
    }
    String text = body.text(contentType).strip();
    if (!text.isEmpty()) {
      boolean longText = text.length() > MESSAGE_BODY_CHARS;
      message += ": " + (longText ? text.substring(0, MESSAGE_BODY_CHARS) + "…" : text);
    }
    // 429 is retryable, not a RateLimitedException: that one spends no attempt, so a server that
    // never stops answering 429 would keep the task alive forever.
    if (status == 429 || status >= 500) {
      String retryAfter = response.headers().firstValue("Retry-After").orElse(null);
      throw new RetryableTaskException("HTTP_" + status, message, retryAfter(retryAfter, Instant.now()));
    }
    throw new PermanentTaskException("HTTP_" + status, message);
  }

  /** JSON when the server says so and it parses whole; the text otherwise. */
  private static JsonNode bodyNode(Body body, Optional<String> contentType) {
    String text = body.text(contentType);
    String mediaType = contentType.map(c -> c.split(";", 2)[0].strip().toLowerCase(Locale.ROOT)).orElse("");
    boolean json = mediaType.equals("application/json") || mediaType.endsWith("+json");
    if (json && !body.truncated() && !text.isBlank()) {
      try {
        return JSON.readTree(text);
      } catch (JsonProcessingException notJson) {
        // fall through: keep what the server sent
      }
    }
    return JSON.getNodeFactory().textNode(text);
  }

  /**
   * A {@code Retry-After} value: delta-seconds or an HTTP-date (IMF-fixdate, as servers must
   * send it). Null when absent or unparseable: the retry policy's own delay then applies. A date
   * in the past means "now".
   */
  static Duration retryAfter(String value, Instant now) {
    if (value == null || value.isBlank()) return null;
    String trimmed = value.strip();
    try {
      if (trimmed.chars().allMatch(Character::isDigit)) return Duration.ofSeconds(Long.parseLong(trimmed));
      ZonedDateTime date = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration untilDate = Duration.between(now, date);
      return untilDate.isNegative() ? Duration.ZERO : untilDate;
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException unparseable) {
      return null;
    }
  }

  /** The first {@code limit} bytes of a body, and whether there was more. */
  record Body(byte[] bytes, boolean truncated) {
    String text(Optional<String> contentType) {
      return new String(bytes, charset(contentType));
    }

    private static Charset charset(Optional<String> contentType) {
      for (String param : contentType.orElse("").split(";")) {
        String[] pair = param.strip().split("=", 2);
        if (pair.length == 2 && pair[0].strip().equalsIgnoreCase("charset")) {
          try {
            return Charset.forName(pair[1].strip().replace("\"", ""));
          } catch (IllegalArgumentException unknown) {
            break;
          }
        }
      }
      return StandardCharsets.UTF_8;
    }
  }

  /**
   * Keeps the first {@code limit} bytes and then stops reading (cancelling the subscription
   * closes the connection): a huge response cannot fill the heap or the task's journal.
   */
  private static final class CappedBody implements HttpResponse.BodySubscriber<Body> {
    private final int limit;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<Body> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    CappedBody(int limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<Body> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      boolean truncated = false;
      for (ByteBuffer buffer : buffers) {
        int take = Math.min(buffer.remaining(), limit - bytes.size());
        byte[] chunk = new byte[take];
        buffer.get(chunk);
        bytes.write(chunk, 0, take);
        truncated |= buffer.hasRemaining();
      }
      if (truncated) {
        subscription.cancel();
        result.complete(new Body(bytes.toByteArray(), true));
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable error) {
      result.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
      result.complete(new Body(bytes.toByteArray(), false));
    }
  }

  // ---------------------------------------------------------------- hosts and config

  /**
   * The form hosts are compared in: lower case, IPv6 literals without brackets and in one
   * spelling ({@code [::1]}, {@code ::1} and {@code 0:0:0:0:0:0:0:1} are one host). Names are
   * compared as written, never resolved: the list names hosts, not addresses.
   */
  static String hostKey(String host) {
    String key = host.strip().toLowerCase(Locale.ROOT);
    if (key.startsWith("[") && key.endsWith("]")) key = key.substring(1, key.length() - 1);
    if (key.contains(":")) {
      try {
        // An IPv6 literal (a name cannot hold ':'); in brackets it is parsed, never looked up.
        key = InetAddress.getByName("[" + key + "]").getHostAddress();
      } catch (UnknownHostException notALiteral) {
        // keep it as written; it will match nothing a URL can hold
      }
    }
    return key;
  }

  private static Set<String> hostKeys(List<String> hosts) {
    Set<String> keys = new LinkedHashSet<>();
    for (String host : hosts) keys.add(hostKey(host));
    return Set.copyOf(keys);
  }

  /** Whether {@code host} is a host alone, as {@link URI#getHost} would give it back. */
  private static boolean isBareHost(String host) {
    String h = host.strip();
    if (h.contains(":") && !h.startsWith("[")) h = "[" + h + "]"; // ::1 written without brackets
    try {
      URI uri = new URI("http://" + h + "/");
      return uri.getHost() != null && uri.getPort() == -1 && uri.getRawUserInfo() == null
          && "/".equals(uri.getRawPath()) && uri.getRawQuery() == null && uri.getRawFragment() == null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /** Reads {@code key}, or {@code fallback} when absent; errors name the full key. */
  private static <T> T read(Config config, String key, BiFunction<Config, String, T> getter, T fallback) {
    if (!config.hasPath(key)) return fallback;
    try {
      return getter.apply(config, key);
    } catch (ConfigException e) {
      throw badValue(config, key, e.getMessage());
    }
  }

  private static ConfigException.BadValue badValue(Config config, String key, String message) {
    return new ConfigException.BadValue(config.getValue(key).origin(), CONFIG_PATH + "." + key, message);
  }

  private static PermanentTaskException invalid(String message) {
    return new PermanentTaskException("INVALID_PAYLOAD", message);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String describe(Throwable t) {
    String kind = t.getClass().getSimpleName();
    return t.getMessage() == null ? kind : kind + ": " + t.getMessage();
  }
}
