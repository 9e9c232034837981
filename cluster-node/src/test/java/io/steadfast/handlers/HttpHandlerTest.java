package io.steadfast.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.steadfast.task.TaskType;
import io.steadfast.task.TaskTypes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How long the slow endpoint holds its answer unless the test ends first. */
  private static final long SLOW_MS = 10_000;

  private HttpServer server;
  private ExecutorService serverThreads;
  private String base;
  /** "METHOD path" of every request the server received. */
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
  private volatile String lastBody;
  private final CountDownLatch releaseSlow = new CountDownLatch(1);

  private final HttpHandler handler = new HttpHandler();

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    serverThreads = Executors.newCachedThreadPool(); // the slow endpoint must not block the others
    server.setExecutor(serverThreads);
    server.createContext("/", this::answer);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    releaseSlow.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private void answer(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    received.add(exchange.getRequestMethod() + " " + path);
    exchange.getRequestHeaders().forEach((name, values) -> lastHeaders.put(name.toLowerCase(), values.get(0)));
    lastBody = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    switch (path) {
      case "/json" -> send(exchange, 200, "application/json; charset=utf-8", "{\"ok\": true, \"n\": 1}");
      case "/text" -> send(exchange, 200, "text/plain", "hello");
      case "/echo" -> send(exchange, 201, "application/json", "{\"created\": true}");
      case "/big" -> send(exchange, 200, "text/plain", "x".repeat(1000));
      case "/unavailable" -> {
        exchange.getResponseHeaders().add("Retry-After", "7");
        send(exchange, 503, "text/plain", "down for maintenance");
      }
      case "/unparseable-retry-after" -> {
        exchange.getResponseHeaders().add("Retry-After", "soon");
        send(exchange, 502, "text/plain", "");
      }
      case "/throttled" -> {
        ZonedDateTime in30s = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30);
        exchange.getResponseHeaders().add("Retry-After", DateTimeFormatter.RFC_1123_DATE_TIME.format(in30s));
        send(exchange, 429, "text/plain", "slow down");
      }
      case "/redirect" -> {
        exchange.getResponseHeaders().add("Location", "http://localhost:" + server.getAddress().getPort() + "/json");
        send(exchange, 302, "text/plain", "");
      }
      case "/slow" -> {
        try {
          releaseSlow.await(SLOW_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        send(exchange, 200, "text/plain", "finally");
      }
      default -> send(exchange, 404, "text/plain", "no such thing");
    }
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  // ---------------------------------------------------------------- helpers

  private static TaskContext context(String payloadJson) throws IOException {
    return context(payloadJson, Instant.now().plusSeconds(60), () -> false);
  }

  private static TaskContext context(String payloadJson, Instant deadline, java.util.function.BooleanSupplier cancelled)
      throws IOException {
    return new TaskContext("task-1", "webhook", JSON.readTree(payloadJson), 1, deadline, null, cancelled, state -> {});
  }

  private JsonNode run(String payloadJson) throws Exception {
    return handler.execute(context(payloadJson));
  }

  private RetryableTaskException retryable(String payloadJson) {
    return assertThrows(RetryableTaskException.class, () -> run(payloadJson));
  }

  private PermanentTaskException permanent(String payloadJson) {
    return assertThrows(PermanentTaskException.class, () -> run(payloadJson));
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static Config httpConfig(String hocon) {
    return ConfigFactory.parseString(hocon);
  }

  // ---------------------------------------------------------------- successes

  @Test
  void jsonResponseIsParsed() throws Exception {
    JsonNode result = run("{\"url\": \"" + base + "/json\"}");
    assertEquals(200, result.get("status").asInt());
    assertEquals("application/json; charset=utf-8", result.at("/headers/content-type").asText());
    assertEquals(JSON.readTree("{\"ok\": true, \"n\": 1}"), result.get("body"));
    assertFalse(result.has("truncated"));
    assertEquals(List.of("GET /json"), received);
  }

  @Test
  void textResponseIsKeptAsText() throws Exception {
    JsonNode result = run("{\"url\": \"" + base + "/text\", \"method\": \"GET\"}");
    assertEquals(200, result.get("status").asInt());
    assertEquals("text/plain", result.at("/headers/content-type").asText());
    assertTrue(result.get("body").isTextual());
    assertEquals("hello", result.get("body").asText());
  }

  @Test
  void postSendsJsonBodyAndHeaders() throws Exception {
    JsonNode result =
        run("{\"url\": \"" + base + "/echo\", \"method\": \"POST\", \"headers\": {\"X-Hook\": \"abc\"},"
            + " \"body\": {\"event\": \"done\", \"id\": 42}}");
    assertEquals(201, result.get("status").asInt());
    assertEquals(List.of("POST /echo"), received);
    assertEquals("abc", lastHeaders.get("x-hook"));
    assertEquals("application/json", lastHeaders.get("content-type"));
    assertEquals(JSON.readTree("{\"event\": \"done\", \"id\": 42}"), JSON.readTree(lastBody));
  }

  @Test
  void stringBodyKeepsTheGivenContentType() throws Exception {
    run("{\"url\": \"" + base + "/echo\", \"method\": \"put\", \"headers\": {\"content-type\": \"text/csv\"},"
        + " \"body\": \"a,b\\n1,2\"}");
    assertEquals(List.of("PUT /echo"), received);
    assertEquals("text/csv", lastHeaders.get("content-type"));
    assertEquals("a,b\n1,2", lastBody);
  }

  @Test
  void largeBodyIsTruncatedToMaxResultBytes() throws Exception {
    handler.configure(httpConfig("max-result-bytes = 10"));
    JsonNode result = run("{\"url\": \"" + base + "/big\"}");
    assertEquals("x".repeat(10), result.get("body").asText());
    assertTrue(result.get("truncated").asBoolean());
  }

  // ---------------------------------------------------------------- failures

  @Test
  void unavailableIsRetryableAfterRetryAfterSeconds() {
    RetryableTaskException e = retryable("{\"url\": \"" + base + "/unavailable\", \"method\": \"POST\", \"body\": {}}");
    assertEquals("HTTP_503", e.errorType());
    assertEquals(Duration.ofSeconds(7), e.retryAfter().orElseThrow());
    assertTrue(e.getMessage().startsWith("POST " + base + "/unavailable answered 503"), e.getMessage());
    assertTrue(e.getMessage().contains("down for maintenance"), e.getMessage());
  }

  @Test
  void tooManyRequestsHonoursAnHttpDate() {
    RetryableTaskException e = retryable("{\"url\": \"" + base + "/throttled\"}");
    assertEquals("HTTP_429", e.errorType());
    Duration retryAfter = e.retryAfter().orElseThrow();
    assertTrue(retryAfter.compareTo(Duration.ofSeconds(25)) > 0 && retryAfter.compareTo(Duration.ofSeconds(31)) <= 0,
        retryAfter.toString());
  }

  @Test
  void unparseableRetryAfterIsIgnored() {
    RetryableTaskException e = retryable("{\"url\": \"" + base + "/unparseable-retry-after\"}");
    assertEquals("HTTP_502", e.errorType());
    assertTrue(e.retryAfter().isEmpty());
  }

  @Test
  void retryAfterForms() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    assertEquals(Duration.ofSeconds(120), HttpHandler.retryAfter(" 120 ", now));
    assertEquals(Duration.ofSeconds(90), HttpHandler.retryAfter("Thu, 01 Jan 2026 00:01:30 GMT", now));
    assertEquals(Duration.ZERO, HttpHandler.retryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now));
    assertNull(HttpHandler.retryAfter("-5", now));
    assertNull(HttpHandler.retryAfter("soon", now));
    assertNull(HttpHandler.retryAfter("99999999999999999999999", now));
    assertNull(HttpHandler.retryAfter("", now));
    assertNull(HttpHandler.retryAfter(null, now));
  }

  @Test
  void notFoundIsPermanent() {
    PermanentTaskException e = permanent("{\"url\": \"" + base + "/missing\", \"method\": \"DELETE\"}");
    assertEquals("HTTP_404", e.errorType());
    assertTrue(e.getMessage().startsWith("DELETE " + base + "/missing answered 404"), e.getMessage());
  }

  @Test
  void redirectIsReportedNotFollowed() {
    PermanentTaskException e = permanent("{\"url\": \"" + base + "/redirect\"}");
    assertEquals("HTTP_302", e.errorType());
    assertTrue(e.getMessage().contains("not followed"), e.getMessage());
    assertEquals(List.of("GET /redirect"), received);
  }

  @Test
  void connectionRefusedIsRetryable() throws IOException {
    RetryableTaskException e = retryable("{\"url\": \"http://127.0.0.1:" + closedPort() + "/x\"}");
    assertEquals("CONNECT_ERROR", e.errorType());
    assertTrue(e.retryAfter().isEmpty());
  }

  @Test
  void slowServerTimesOut() {
    long start = System.nanoTime();
    RetryableTaskException e = retryable("{\"url\": \"" + base + "/slow\", \"timeoutMs\": 300}");
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals("TIMEOUT", e.errorType());
    assertTrue(elapsedMs >= 250 && elapsedMs < 3_000, elapsedMs + " ms");
  }

  @Test
  void attemptDeadlineBoundsTheRequest() {
    long start = System.nanoTime();
    RetryableTaskException e = assertThrows(RetryableTaskException.class,
        () -> handler.execute(context("{\"url\": \"" + base + "/slow\"}", Instant.now().plusMillis(300), () -> false)));
    assertEquals("TIMEOUT", e.errorType());
    assertTrue((System.nanoTime() - start) / 1_000_000 < 3_000);
  }

  @Test
  void passedDeadlineSendsNothing() {
    RetryableTaskException e = assertThrows(RetryableTaskException.class,
        () -> handler.execute(context("{\"url\": \"" + base + "/json\"}", Instant.now().minusSeconds(1), () -> false)));
    assertEquals("TIMEOUT", e.errorType());
    assertEquals(List.of(), received);
  }

  @Test
  void cancellationAbortsASlowCall() throws Exception {
    AtomicBoolean cancelled = new AtomicBoolean();
    TaskContext context = context("{\"url\": \"" + base + "/slow\"}", Instant.now().plusSeconds(60), cancelled::get);
    Thread canceller = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      cancelled.set(true);
    });
    long start = System.nanoTime();
    canceller.start();
    RetryableTaskException e = assertThrows(RetryableTaskException.class, () -> handler.execute(context));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    canceller.join();
    assertEquals("CANCELLED", e.errorType());
    assertTrue(elapsedMs >= 250 && elapsedMs < 2_000, elapsedMs + " ms, the server would answer after " + SLOW_MS);
  }

  // ---------------------------------------------------------------- the allow-list

  @Test
  void hostNotOnTheAllowListIsRefused() {
    PermanentTaskException e = permanent("{\"url\": \"http://example.invalid/hook\"}");
    assertEquals("HOST_NOT_ALLOWED", e.errorType());
    assertTrue(e.getMessage().contains("example.invalid"), e.getMessage());
    assertTrue(e.getMessage().contains("steadfast.handlers.http.allowed-hosts"), e.getMessage());
  }

  @Test
  void refusedHostGetsNoConnection() {
    // localhost reaches the test server, but only 127.0.0.1 is allowed: nothing may arrive.
    handler.configure(httpConfig("allowed-hosts = [\"127.0.0.1\"]"));
    PermanentTaskException e =
        permanent("{\"url\": \"http://localhost:" + server.getAddress().getPort() + "/json\"}");
    assertEquals("HOST_NOT_ALLOWED", e.errorType());
    assertEquals(List.of(), received);
  }

  @Test
  void userInfoDoesNotHideTheRealHost() {
    PermanentTaskException e = permanent("{\"url\": \"http://127.0.0.1@example.invalid/\"}");
    assertEquals("HOST_NOT_ALLOWED", e.errorType());
  }

  @Test
  void hostsAreComparedInOneForm() throws Exception {
    assertEquals(HttpHandler.hostKey("[::1]"), HttpHandler.hostKey("::1"));
    assertEquals(HttpHandler.hostKey("[::1]"), HttpHandler.hostKey("[0:0:0:0:0:0:0:1]"));
    assertEquals("localhost", HttpHandler.hostKey("LocalHost"));
    handler.configure(httpConfig("allowed-hosts = [\"::1\", \"LOCALHOST\"]"));
    assertEquals(Set.of(HttpHandler.hostKey("[::1]"), "localhost"), handler.allowedHosts());
    // Upper-case host in the URL, allowed in lower case: the request goes out.
    JsonNode result = run("{\"url\": \"http://LocalHost:" + server.getAddress().getPort() + "/text\"}");
    assertEquals("hello", result.get("body").asText());
  }

  // ---------------------------------------------------------------- validation

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      {}                                                          | url
      {"url": 42}                                                 | url
      {"url": "ftp://127.0.0.1/x"}                                | url
      {"url": "http://127.0.0.1:80 80/"}                          | url
      {"url": "/relative"}                                        | url
      {"url": "http://127.0.0.1/", "method": "TRACE"}             | method
      {"url": "http://127.0.0.1/", "method": 1}                   | method
      {"url": "http://127.0.0.1/", "headers": ["X-A"]}            | headers
      {"url": "http://127.0.0.1/", "headers": {"X-A": 1}}         | headers.X-A
      {"url": "http://127.0.0.1/", "headers": {"Host": "evil"}}   | headers.Host
      {"url": "http://127.0.0.1/", "headers": {"Content-Length": "1"}} | headers.Content-Length
      {"url": "http://127.0.0.1/", "timeoutMs": -1}               | timeoutMs
      {"url": "http://127.0.0.1/", "timeoutMs": "soon"}           | timeoutMs
      """)
  void invalidPayloadIsPermanentAndNamesTheField(String payload, String field) {
    PermanentTaskException e = permanent(payload);
    assertEquals("INVALID_PAYLOAD", e.errorType());
    assertTrue(e.getMessage().startsWith(field), e.getMessage());
  }

  // ---------------------------------------------------------------- configuration

  @Test
  void defaultsApplyWhenKeysAreAbsent() {
    handler.configure(ConfigFactory.empty());
    assertEquals(Set.of("localhost", "127.0.0.1", HttpHandler.hostKey("[::1]")), handler.allowedHosts());
    assertEquals(Duration.ofSeconds(30), handler.requestTimeout());
    assertEquals(65536, handler.maxResultBytes());
  }

  @Test
  void configuredValuesAreRead() {
    handler.configure(httpConfig("allowed-hosts = [\"hooks.internal\"], request-timeout = 2s, max-result-bytes = 1KiB"));
    assertEquals(Set.of("hooks.internal"), handler.allowedHosts());
    assertEquals(Duration.ofSeconds(2), handler.requestTimeout());
    assertEquals(1024, handler.maxResultBytes());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      request-timeout = soon                      | request-timeout
      request-timeout = 0s                        | request-timeout
      max-result-bytes = -1                       | max-result-bytes
      max-result-bytes = lots                     | max-result-bytes
      allowed-hosts = localhost                   | allowed-hosts
      allowed-hosts = ["http://localhost"]        | allowed-hosts
      allowed-hosts = ["localhost:8080"]          | allowed-hosts
      """)
  void badValueNamesTheFullKey(String hocon, String key) {
    ConfigException.BadValue e =
        assertThrows(ConfigException.BadValue.class, () -> handler.configure(httpConfig(hocon)));
    assertTrue(e.getMessage().contains("steadfast.handlers.http." + key), e.getMessage());
  }

  @Test
  void shippedConfigRegistersTheHandlerAndTheWebhookType() {
    Config config = ConfigFactory.parseResources("steadfast.conf").resolve();
    HandlerRegistry registry = HandlerRegistry.load(config);
    TaskHandler http = registry.find("http").orElseThrow();
    assertInstanceOf(HttpHandler.class, http);
    assertEquals(Duration.ofSeconds(30), ((HttpHandler) http).requestTimeout());
    TaskType webhook = TaskTypes.fromConfig(config, registry).find("webhook").orElseThrow();
    assertEquals(http, webhook.handler());
    assertEquals(5, webhook.retryPolicy().maxAttempts());
    assertEquals(1000, webhook.retryPolicy().initialDelayMs());
  }

  @Test
  void registryConfiguresTheHandlerFromItsSubtree() {
    HandlerRegistry registry =
        HandlerRegistry.load(ConfigFactory.parseString("steadfast.handlers.http.max-result-bytes = 100"));
    assertEquals(100, ((HttpHandler) registry.find("http").orElseThrow()).maxResultBytes());
  }
}
