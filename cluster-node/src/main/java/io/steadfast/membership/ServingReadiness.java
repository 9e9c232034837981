package io.steadfast.membership;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * pekko-management's readiness check (config: pekko.management.health-checks.readiness-checks):
 * {@code /ready} fails while this node cannot serve tasks.
 */
public final class ServingReadiness implements Supplier<CompletionStage<Boolean>> {
  private final Serving serving;

  public ServingReadiness(ActorSystem system) {
    this.serving = Serving.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(serving.isServing());
  }
}
