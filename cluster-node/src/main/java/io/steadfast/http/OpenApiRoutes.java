package io.steadfast.http;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/openapi.json}: the API's OpenAPI 3.0 document, written by hand next to this
 * class and served as it is. {@code OpenApiProcessIT} holds it to what the nodes answer.
 */
public final class OpenApiRoutes extends AllDirectives {
  static final String RESOURCE = "openapi.json";

  private final byte[] document;

  /** @throws IllegalStateException when the document is missing from the classpath */
  public OpenApiRoutes() {
    this.document = load();
  }

  public Route routes() {
    return path(
        PathMatchers.segment("api").slash("v1").slash("openapi.json"),
        () -> get(() -> complete(StatusCodes.OK, HttpEntities.create(ContentTypes.APPLICATION_JSON, document))));
  }

  private static byte[] load() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException(RESOURCE + " is missing next to " + OpenApiRoutes.class.getName());
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE, e);
    }
  }
}
