package io.steadfast.http;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/openapi.json}: the API's OpenAPI 3.0 document ({@link OpenApiDocument}),
 * assembled once. {@code OpenApiProcessIT} holds it to what the nodes answer.
 */
public final class OpenApiRoutes extends AllDirectives {
  private final byte[] document;

  /** @throws IllegalStateException when the document's files are missing or do not fit together */
  public OpenApiRoutes() {
    this.document = OpenApiDocument.bytes();
  }

  public Route routes() {
    return path(
        PathMatchers.segment("api").slash("v1").slash("openapi.json"),
        () -> get(() -> complete(StatusCodes.OK, HttpEntities.create(ContentTypes.APPLICATION_JSON, document))));
  }
}
