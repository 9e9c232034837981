package io.steadfast.console;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.webjars.WebJarVersionLocator;

/**
 * The web console: static pages from this jar under {@code /console/} ({@code /} leads there),
 * and its chart library from its WebJar under {@code /console/lib/uplot/}. The pages hold no
 * data: they read it from the API with the token the operator gives them, so they are served
 * without one. Every page may only load what this node serves and may not be framed by another.
 */
public final class ConsoleRoutes extends AllDirectives {
  static final String PAGES = "io/steadfast/console";
  private static final Uri CONSOLE = Uri.create("/console/");
  private static final List<HttpHeader> SECURITY_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
              + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      // Pages change with the node's version: revalidate instead of running a stale script.
      RawHeader.create("Cache-Control", "no-cache"));

  private final String chartLibrary;

  /** @throws IllegalStateException when the chart library's WebJar is not on the classpath */
  public ConsoleRoutes() {
    String version = new WebJarVersionLocator().version("uplot");
    if (version == null) throw new IllegalStateException("the uplot WebJar is missing from the classpath");
    this.chartLibrary = WebJarVersionLocator.WEBJARS_PATH_PREFIX + "/uplot/" + version + "/dist";
  }

  public Route routes() {
    return get(() -> concat(
        pathSingleSlash(() -> redirect(CONSOLE, StatusCodes.FOUND)),
        path("console", () -> redirect(CONSOLE, StatusCodes.FOUND)),
        pathPrefix("console", () -> respondWithHeaders(SECURITY_HEADERS, () -> concat(
            pathSingleSlash(() -> getFromResource(PAGES + "/index.html")),
            pathPrefix(PathMatchers.segment("lib").slash("uplot"), () -> getFromResourceDirectory(chartLibrary)),
            getFromResourceDirectory(PAGES))))));
  }
}
