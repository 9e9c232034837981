package io.steadfast.breaker;

import io.steadfast.protocol.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's copy of every breaker's status, kept in a concurrent map that task entities read
 * without asking anyone. It follows the breakers' change topic, and asks each breaker directly at
 * start and every few seconds, so that a change missed while a node joined is healed soon.
 */
final class BreakerBoard {
  private static final Logger log = LoggerFactory.getLogger(BreakerBoard.class);

  private BreakerBoard() {}

  /** How long a transition took to reach this node: the figure behind "every node within a second". */
  private static void logArrival(Changed changed) {
    List<Transition> transitions = changed.status().transitions();
    if (transitions.isEmpty()) return;
    Transition last = transitions.get(transitions.size() - 1);
    log.info("circuit breaker of '{}' is {} here {} ms after the transition",
        changed.type(), last.to(), Duration.between(last.at(), Instant.now()).toMillis());
  }

  sealed interface Message {}

  /**
   * A breaker's status, as published on every change.
   *
   * @param revision grows with every change of this breaker: the board keeps the highest seen
   */
  public record Changed(String type, long revision, BreakerStatus status) implements Message, CborSerializable {}

  private enum Refresh implements Message {
    INSTANCE
  }

  static final Duration REFRESH_EVERY = Duration.ofSeconds(5);

  static Behavior<Message> create(
      Iterable<String> types, ActorRef<Topic.Command<Changed>> topic, Map<String, Changed> board,
      java.util.function.Function<String, RecipientRef<CircuitBreaker.Command>> breakers) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      topic.tell(Topic.subscribe(context.getSelf().narrow()));
      timers.startTimerAtFixedRate(Refresh.INSTANCE, Duration.ZERO, REFRESH_EVERY);
      return Behaviors.receive(Message.class)
          .onMessage(Changed.class, changed -> {
            Changed before = board.get(changed.type());
            Changed now = board.merge(changed.type(), changed, (old, incoming) -> incoming.revision() >= old.revision() ? incoming : old);
            if (now == changed && before != null && before.status().state() != changed.status().state()) logArrival(changed);
            return Behaviors.same();
          })
          .onMessage(Refresh.class, refresh -> {
            for (String type : types) breakers.apply(type).tell(new CircuitBreaker.Sync(context.getSelf().narrow()));
            return Behaviors.same();
          })
          .build();
    }));
  }
}
