package io.steadfast.membership;

import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.ClusterView;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The membership changes this node saw, newest first, a bounded number: what an operator watching
 * a node die wants to read afterwards (it turned unreachable, was downed, was removed), also once
 * the member is gone from the membership itself. Written by one actor, read without asking.
 */
public final class MembershipLog {
  static final int KEPT = 50;

  private final Deque<ClusterView.Change> changes = new ArrayDeque<>();
  private final Clock clock;

  MembershipLog(Clock clock) {
    this.clock = clock;
  }

  /** Newest first. */
  public synchronized List<ClusterView.Change> recent() {
    return new ArrayList<>(changes);
  }

  synchronized void record(ClusterEvent.ClusterDomainEvent event) {
    changeOf(event).ifPresent(change -> {
      changes.addFirst(change.at(ApiTime.format(clock.instant())));
      while (changes.size() > KEPT) changes.removeLast();
    });
  }

  /** A change without its time yet. */
  record Untimed(String node, String change) {
    ClusterView.Change at(String time) {
      return new ClusterView.Change(time, node, change);
    }
  }

  /** The change an event stands for; empty for events an operator need not read. */
  static Optional<Untimed> changeOf(ClusterEvent.ClusterDomainEvent event) {
    if (event instanceof ClusterEvent.MemberUp e) return untimed(e.member().address(), "up");
    if (event instanceof ClusterEvent.MemberJoined e) return untimed(e.member().address(), "joining");
    if (event instanceof ClusterEvent.MemberLeft e) return untimed(e.member().address(), "leaving");
    if (event instanceof ClusterEvent.MemberExited e) return untimed(e.member().address(), "exiting");
    if (event instanceof ClusterEvent.MemberDowned e) return untimed(e.member().address(), "down");
    if (event instanceof ClusterEvent.MemberRemoved e) return untimed(e.member().address(), "removed");
    if (event instanceof ClusterEvent.UnreachableMember e) return untimed(e.member().address(), "unreachable");
    if (event instanceof ClusterEvent.ReachableMember e) return untimed(e.member().address(), "reachable");
    return Optional.empty();
  }

  private static Optional<Untimed> untimed(Address address, String change) {
    return Optional.of(new Untimed(ClusterOverview.nodeName(address), change));
  }

  /** Subscribes to this node's membership and reachability events and records them in {@code log}. */
  static Behavior<ClusterEvent.ClusterDomainEvent> recorder(MembershipLog log) {
    return Behaviors.setup(context -> {
      Cluster cluster = Cluster.get(context.getSystem());
      cluster.subscriptions().tell(Subscribe.create(context.getSelf().<ClusterEvent.MemberEvent>narrow(), ClusterEvent.MemberEvent.class));
      cluster.subscriptions().tell(Subscribe.create(context.getSelf().<ClusterEvent.ReachabilityEvent>narrow(), ClusterEvent.ReachabilityEvent.class));
      return Behaviors.receiveMessage(event -> {
        log.record(event);
        return Behaviors.same();
      });
    });
  }
}
