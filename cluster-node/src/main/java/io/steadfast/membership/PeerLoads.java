package io.steadfast.membership;

import io.steadfast.protocol.api.ClusterView;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * How many attempts wait in each bulkhead of the other members, as they last said: this node asks
 * every other member's {@link NodeLoadReporter} once an interval. A node that mints the ids of new
 * tasks reads it to keep them on its own shards unless it is far busier than another (see {@code
 * task.TaskIds}). A report older than {@link #STALE_AFTER_INTERVALS} intervals (its member gone,
 * or not answering) counts for nothing. A node that runs nothing asks nothing: what it mints stays
 * here whatever the others run, so an idle cluster sends no such messages.
 */
public final class PeerLoads {
  static final int STALE_AFTER_INTERVALS = 3;

  private record Report(ClusterView.NodeLoad load, long atNanos) {}

  private final Map<ActorRef<NodeLoadReporter.Get>, Report> reports = new ConcurrentHashMap<>();
  private final long staleAfterNanos;
  private final LongSupplier nanoTime;

  /** @param nanoTime a monotonic clock in nanoseconds ({@link System#nanoTime} but in tests) */
  PeerLoads(Duration interval, LongSupplier nanoTime) {
    this.staleAfterNanos = interval.toNanos() * STALE_AFTER_INTERVALS;
    this.nanoTime = nanoTime;
  }

  /**
   * Starts asking the other members every {@code interval} while this node is {@code busy}; call
   * once per node.
   */
  public static PeerLoads start(ActorSystem<?> system, Duration interval, BooleanSupplier busy) {
    // This node's own reporter is the one the receptionist lists with a local address.
    return start(system, interval, busy, reporter -> reporter.path().address().hasGlobalScope());
  }

  /** @param isOther whether a listed reporter is another member's */
  static PeerLoads start(
      ActorSystem<?> system, Duration interval, BooleanSupplier busy, Predicate<ActorRef<NodeLoadReporter.Get>> isOther) {
    PeerLoads loads = new PeerLoads(interval, System::nanoTime);
    system.systemActorOf(
        Behaviors.supervise(asker(loads, interval, busy, isOther))
            .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2)),
        "peer-loads",
        Props.empty());
    return loads;
  }

  /**
   * The fewest attempts of {@code type} waiting on any other member that reported lately (a member
   * without that type's bulkhead has none waiting); empty when no other member did.
   */
  public OptionalInt leastWaiting(String type) {
    long now = nanoTime.getAsLong();
    OptionalInt least = OptionalInt.empty();
    for (Report report : reports.values()) {
      if (now - report.atNanos() > staleAfterNanos) continue;
      ClusterView.Bulkhead bulkhead = report.load().bulkheads().get(type);
      int waiting = bulkhead == null ? 0 : bulkhead.waiting();
      if (least.isEmpty() || waiting < least.getAsInt()) least = OptionalInt.of(waiting);
    }
    return least;
  }

  void reported(ActorRef<NodeLoadReporter.Get> member, ClusterView.NodeLoad load) {
    reports.put(member, new Report(load, nanoTime.getAsLong()));
  }

  /** Forgets the reports of members no longer among {@code members}. */
  void retain(Set<ActorRef<NodeLoadReporter.Get>> members) {
    reports.keySet().retainAll(members);
  }

  private sealed interface Message {}

  private record Listed(Receptionist.Listing listing) implements Message {}

  private enum Tick implements Message { INSTANCE }

  private record Answered(ActorRef<NodeLoadReporter.Get> member, ClusterView.NodeLoad load) implements Message {}

  private static Behavior<Message> asker(
      PeerLoads loads, Duration interval, BooleanSupplier busy, Predicate<ActorRef<NodeLoadReporter.Get>> isOther) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      context.getSystem().receptionist().tell(Receptionist.subscribe(
          NodeLoadReporter.KEY, context.messageAdapter(Receptionist.Listing.class, Listed::new)));
      timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
      Set<ActorRef<NodeLoadReporter.Get>> others = new HashSet<>();
      return Behaviors.receive(Message.class)
          .onMessage(Listed.class, listed -> {
            others.clear();
            listed.listing().getServiceInstances(NodeLoadReporter.KEY).stream().filter(isOther).forEach(others::add);
            loads.retain(others);
            return Behaviors.same();
          })
          .onMessage(Tick.class, tick -> {
            if (!busy.getAsBoolean()) return Behaviors.same();
            for (ActorRef<NodeLoadReporter.Get> member : others) {
              context.ask(ClusterView.NodeLoad.class, member, interval, NodeLoadReporter.Get::new,
                  (load, noAnswer) -> new Answered(member, load));
            }
            return Behaviors.same();
          })
          .onMessage(Answered.class, answered -> {
            if (answered.load() != null && others.contains(answered.member())) {
              loads.reported(answered.member(), answered.load());
            }
            return Behaviors.same();
          })
          .build();
    }));
  }
}
