package io.steadfast.breaker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Collects this node's attempt results per task type and sends them to each type's breaker in
 * batches: one message (and one journal write) per type every {@link #FLUSH_EVERY} instead of one
 * per attempt, so that the breaker is never the cluster's throughput ceiling.
 */
final class BreakerReporter {
  private BreakerReporter() {}

  sealed interface Message {}

  record Report(String type, CircuitBreaker.Result result) implements Message {}

  private enum Flush implements Message {
    INSTANCE
  }

  static final Duration FLUSH_EVERY = Duration.ofMillis(100);
  /** A batch is sent early once this many results wait. */
  static final int MAX_BATCH = 500;

  static Behavior<Message> create(Function<String, RecipientRef<CircuitBreaker.Command>> breakers) {
    return Behaviors.withTimers(timers -> {
      Map<String, List<CircuitBreaker.Result>> pending = new HashMap<>();
      timers.startTimerWithFixedDelay(Flush.INSTANCE, FLUSH_EVERY);
      return Behaviors.receive(Message.class)
          .onMessage(Report.class, report -> {
            List<CircuitBreaker.Result> batch = pending.computeIfAbsent(report.type(), type -> new ArrayList<>());
            batch.add(report.result());
            if (batch.size() >= MAX_BATCH) send(breakers, report.type(), pending.remove(report.type()));
            return Behaviors.same();
          })
          .onMessage(Flush.class, flush -> {
            pending.forEach((type, batch) -> send(breakers, type, batch));
            pending.clear();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static void send(
      Function<String, RecipientRef<CircuitBreaker.Command>> breakers, String type, List<CircuitBreaker.Result> batch) {
    breakers.apply(type).tell(new CircuitBreaker.Record(List.copyOf(batch)));
  }
}
