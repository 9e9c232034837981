package io.steadfast.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /metrics} on the API port, outside {@code /api/v1} where Prometheus looks by
 * default. Always the text format 0.0.4, which every Prometheus version and most other scrapers
 * read; the scrape is built in memory (a few tens of kilobytes) because nothing in it waits.
 */
public final class MetricsRoutes {
  private static final ContentType TEXT_FORMAT = ContentTypes.parse(NodeMetrics.contentType());

  private final NodeMetrics metrics;

  public MetricsRoutes(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  public Route routes() {
    return path("metrics", () -> get(() -> complete(
        HttpResponse.create().withEntity(HttpEntities.create(TEXT_FORMAT, metrics.scrape())))));
  }
}
