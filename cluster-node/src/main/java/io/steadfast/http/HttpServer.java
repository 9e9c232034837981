package io.steadfast.http;

import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the API and unbinds it, draining requests in flight, when the node shuts down. */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  /** Binds the API; the stage completes once it accepts requests (and fails if it cannot bind). */
  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system, Route routes, ApiErrors errors, String host, int port) {
    // Built once: the javadsl calls the inner suppliers on every request.
    var rejections = errors.rejectionHandler();
    Route handled = Directives.handleRejections(rejections, () -> routes);
    Route sealed = Directives.handleExceptions(errors.exceptionHandler(), () -> handled);
    return Http.get(system)
        .newServerAt(host, port)
        // Set here rather than in a .conf file: a rename of the class cannot leave a stale name.
        .adaptSettings(settings -> settings.withParsingErrorHandler(JsonParsingErrorHandler.class.getName()))
        .bind(sealed)
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                // A node without its API is of no use to anyone: stop it, loudly.
                log.error("cannot bind the API to {}:{}; stopping the node", host, port, failure);
                system.terminate();
              } else {
                log.info("API listening on http://{}:{}/api/v1", host, port);
                binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system);
              }
            });
  }
}
