package io.steadfast.membership;

import io.steadfast.protocol.api.ClusterView;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The cluster as this node sees it, for operators: every member with its status and
 * reachability, the load each member reports when asked ({@link NodeLoadReporter}), and the
 * membership changes this node saw ({@link MembershipLog}). Members that do not answer in time
 * show without a load; a view never waits longer than the load timeout.
 */
public final class ClusterOverview {
  private final ActorSystem<?> system;
  private final MembershipLog log;
  private final Duration loadTimeout;

  private ClusterOverview(ActorSystem<?> system, MembershipLog log, Duration loadTimeout) {
    this.system = system;
    this.log = log;
    this.loadTimeout = loadTimeout;
  }

  /**
   * Starts this node's load reporter and membership log.
   *
   * @param load what this node runs now, read when asked
   * @param loadTimeout how long a view waits for each member's load
   */
  public static ClusterOverview start(ActorSystem<?> system, Supplier<ClusterView.NodeLoad> load, Duration loadTimeout) {
    MembershipLog log = new MembershipLog(Clock.systemUTC());
    system.systemActorOf(supervised(MembershipLog.recorder(log)), "membership-log", Props.empty());
    system.systemActorOf(supervised(NodeLoadReporter.create(load)), "node-load-reporter", Props.empty());
    return new ClusterOverview(system, log, loadTimeout);
  }

  private static <T> org.apache.pekko.actor.typed.Behavior<T> supervised(org.apache.pekko.actor.typed.Behavior<T> behavior) {
    return Behaviors.supervise(behavior)
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
  }

  /** The members now, with the loads that came back within the load timeout. */
  public CompletionStage<ClusterView> view() {
    Address self = Cluster.get(system).selfMember().address();
    CompletionStage<Receptionist.Listing> listing = AskPattern.ask(
        system.receptionist(), replyTo -> Receptionist.find(NodeLoadReporter.KEY, replyTo), loadTimeout,
        system.scheduler());
    return listing
        .thenCompose(found -> loads(found.getServiceInstances(NodeLoadReporter.KEY), self))
        .exceptionally(failure -> Map.of()) // the receptionist did not answer: members without loads
        .thenApply(loads -> assemble(self, Cluster.get(system).state(), loads, log.recent()));
  }

  private CompletionStage<Map<String, ClusterView.NodeLoad>> loads(Set<ActorRef<NodeLoadReporter.Get>> reporters, Address self) {
    Map<String, CompletableFuture<ClusterView.NodeLoad>> asked = new HashMap<>();
    for (ActorRef<NodeLoadReporter.Get> reporter : reporters) {
      Address address = reporter.path().address().hasGlobalScope() ? reporter.path().address() : self;
      CompletionStage<ClusterView.NodeLoad> load =
          AskPattern.ask(reporter, NodeLoadReporter.Get::new, loadTimeout, system.scheduler());
      asked.put(nodeName(address), load.toCompletableFuture().exceptionally(noAnswer -> null));
    }
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<String, ClusterView.NodeLoad> loads = new HashMap<>();
      asked.forEach((node, load) -> {
        if (load.join() != null) loads.put(node, load.join());
      });
      return loads;
    });
  }

  /** The view of {@code state} from {@code self}: members oldest first, each with its load if it gave one. */
  static ClusterView assemble(
      Address self, ClusterEvent.CurrentClusterState state, Map<String, ClusterView.NodeLoad> loads,
      List<ClusterView.Change> recent) {
    Set<Address> unreachable = state.getUnreachable().stream().map(Member::address).collect(Collectors.toSet());
    List<Member> members = new ArrayList<>();
    state.getMembers().forEach(members::add);
    members.sort((a, b) -> a.isOlderThan(b) ? -1 : b.isOlderThan(a) ? 1 : 0);
    Address leader = state.getLeader();
    List<ClusterView.Member> views = new ArrayList<>();
    for (Member member : members) {
      String node = nodeName(member.address());
      views.add(new ClusterView.Member(node, status(member), !unreachable.contains(member.address()),
          member.address().equals(self), member.address().equals(leader), views.isEmpty(), loads.get(node)));
    }
    return new ClusterView(nodeName(self), leader == null ? null : nodeName(leader), views, recent);
  }

  /** Pekko's member status as the API spells it: Up is "up", WeaklyUp "weaklyUp". */
  static String status(Member member) {
    String name = member.status().toString();
    return Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }

  /** {@code host:port}: the name a node goes by in task histories and in the API. */
  static String nodeName(Address address) {
    return address.getHost().orElse("?") + ":" + address.getPort().map(String::valueOf).orElse("?");
  }
}
