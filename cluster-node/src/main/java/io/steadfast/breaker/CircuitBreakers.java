package io.steadfast.breaker;

import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.CircuitBreakerView;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * This node's side of the circuit breakers: starts the breaker entities' sharding, the change
 * topic, the board (local copies) and the reporter (batched results).
 */
public final class CircuitBreakers implements Breakers {
  private final ActorSystem<?> system;
  private final Map<String, BreakerBoard.Changed> board;
  private final ActorRef<BreakerReporter.Message> reporter;
  private final Duration askTimeout;

  private CircuitBreakers(
      ActorSystem<?> system, Map<String, BreakerBoard.Changed> board, ActorRef<BreakerReporter.Message> reporter,
      Duration askTimeout) {
    this.system = system;
    this.board = board;
    this.reporter = reporter;
    this.askTimeout = askTimeout;
  }

  /**
   * @param types the task types whose breakers this node follows
   * @param settings each type's breaker settings
   */
  public static CircuitBreakers start(
      ActorSystem<?> system, Iterable<String> types, Function<String, BreakerSettings> settings, String nodeName,
      Duration askTimeout) {
    ActorRef<Topic.Command<BreakerBoard.Changed>> topic =
        system.systemActorOf(Topic.create(BreakerBoard.Changed.class, CircuitBreaker.TOPIC), "circuit-breaker-topic", Props.empty());
    CircuitBreaker.init(system, settings, topic, nodeName, Clock.systemUTC());
    Function<String, RecipientRef<CircuitBreaker.Command>> breakers = type -> CircuitBreaker.ref(system, type);
    Map<String, BreakerBoard.Changed> board = new ConcurrentHashMap<>();
    system.systemActorOf(supervised(BreakerBoard.create(types, topic, board, breakers)), "circuit-breaker-board", Props.empty());
    ActorRef<BreakerReporter.Message> reporter =
        system.systemActorOf(supervised(BreakerReporter.create(breakers)), "circuit-breaker-reporter", Props.empty());
    return new CircuitBreakers(system, board, reporter, askTimeout);
  }

  private static <T> org.apache.pekko.actor.typed.Behavior<T> supervised(org.apache.pekko.actor.typed.Behavior<T> behavior) {
    return Behaviors.supervise(behavior)
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
  }

  @Override
  public Optional<BreakerStatus> lastHeard(String type) {
    return Optional.ofNullable(board.get(type)).map(BreakerBoard.Changed::status);
  }

  @Override
  public CompletionStage<TrialDecision> requestTrial(String type) {
    return CircuitBreaker.ref(system, type)
        .<CircuitBreaker.TrialAnswer>ask(CircuitBreaker.RequestTrial::new, askTimeout)
        .thenApply(answer -> {
          board.merge(type, answer.status(), (old, incoming) -> incoming.revision() >= old.revision() ? incoming : old);
          return new TrialDecision(answer.granted(), answer.status().status());
        });
  }

  @Override
  public void report(String type, boolean failure, boolean trial) {
    reporter.tell(new BreakerReporter.Report(type, new CircuitBreaker.Result(failure, trial)));
  }

  /**
   * How many breakers are in each state, from this node's copy (see {@link #status}): {@code
   * total}, {@code closed}, {@code open}, {@code halfOpen}, {@code forcedOpen}.
   */
  public Map<String, Long> stateCounts(Iterable<String> types) {
    Map<String, Long> counts = new java.util.LinkedHashMap<>();
    counts.put("total", 0L);
    for (String key : List.of("closed", "open", "halfOpen", "forcedOpen")) counts.put(key, 0L);
    for (String type : types) {
      String key = switch (status(type).state()) {
        case CLOSED -> "closed";
        case OPEN -> "open";
        case HALF_OPEN -> "halfOpen";
        case FORCED_OPEN -> "forcedOpen";
      };
      counts.merge(key, 1L, Long::sum);
      counts.merge("total", 1L, Long::sum);
    }
    return counts;
  }

  /** The API's view of a breaker. */
  public static CircuitBreakerView view(String type, BreakerStatus status, String hostedBy) {
    return new CircuitBreakerView(
        type,
        status.state().name(),
        status.consecutiveFailures(),
        status.calls(),
        status.failures(),
        status.failureRatePercent(),
        ApiTime.format(status.openedAt()),
        ApiTime.format(status.halfOpenAt()),
        status.trialsGranted(),
        status.transitions().stream()
            .map(t -> new CircuitBreakerView.TransitionView(t.from().name(), t.to().name(), ApiTime.format(t.at()), t.reason()))
            .toList(),
        hostedBy);
  }
}
