package io.steadfast.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/cluster}: the members as the answering node sees them, each with the load
 * it reports. Served also while the node cannot serve tasks: that is when an operator needs it.
 */
public final class ClusterRoutes extends AllDirectives {
  private final ClusterFigures figures;
  private final ObjectMapper mapper;
  private final ApiErrors errors;

  public ClusterRoutes(ClusterFigures figures, ObjectMapper mapper, ApiErrors errors) {
    this.figures = figures;
    this.mapper = mapper;
    this.errors = errors;
  }

  public Route routes() {
    return path(PathMatchers.segment("api").slash("v1").slash("cluster"), () -> get(() -> errors.whenAnswered(
        figures.cluster(), "the membership", view -> complete(StatusCodes.OK, view, Jackson.marshaller(mapper)))));
  }
}
