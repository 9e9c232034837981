package io.steadfast.membership;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Whether this node can serve tasks now, and if not, why: read by the API (which then answers
 * 503 at once instead of after its ask timeout) and by the management readiness check. Kept up
 * to date by {@link ServingWatch}.
 */
public final class Serving implements Extension {
  private static final String STARTING = "the node is starting";

  private final AtomicReference<String> notServingBecause = new AtomicReference<>(STARTING);

  /** Empty while the node serves; else the reason it does not. */
  public Optional<String> notServingBecause() {
    return Optional.ofNullable(notServingBecause.get());
  }

  public boolean isServing() {
    return notServingBecause.get() == null;
  }

  void serving() {
    notServingBecause.set(null);
  }

  void notServing(String reason) {
    notServingBecause.set(reason);
  }

  public static Serving get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<Serving> {
    static final Id INSTANCE = new Id();

    @Override
    public Serving createExtension(ActorSystem<?> system) {
      return new Serving();
    }
  }
}
