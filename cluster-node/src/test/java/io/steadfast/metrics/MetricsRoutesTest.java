package io.steadfast.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GET /metrics over real HTTP, in this JVM. */
class MetricsRoutesTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final NodeMetrics metrics = new NodeMetrics();
  private static URI base;

  @BeforeAll
  static void bind() throws Exception {
    ServerBinding binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(new MetricsRoutes(metrics).routes())
            .toCompletableFuture()
            .get();
    base = URI.create("http://127.0.0.1:" + binding.localAddress().getPort());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void answersThePrometheusTextFormat() throws Exception {
    metrics.submitted("noop");
    HttpResponse<String> response =
        client.send(HttpRequest.newBuilder(base.resolve("/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(200, response.statusCode());
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    assertEquals("text/plain; version=0.0.4; charset=utf-8", contentType.toLowerCase(), contentType);
    assertTrue(response.body().contains("steadfast_tasks_submitted_total{type=\"noop\"} 1.0"), response.body());
    assertTrue(response.body().contains("jvm_memory_used_bytes"), response.body());
  }

  @Test
  void onlyGetIsServed() throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(base.resolve("/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    assertNotEquals(200, response.statusCode());
  }
}
