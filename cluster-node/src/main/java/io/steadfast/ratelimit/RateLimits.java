package io.steadfast.ratelimit;

import io.steadfast.protocol.api.RateLimitView;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's side of the rate limits: starts the limiters' sharding and a {@link PermitPool}
 * per limited type, and answers tasks from the pools' held permits.
 */
public final class RateLimits implements RatePermits {
  private final ActorSystem<?> system;
  private final Map<String, RateLimit> limits;
  private final Map<String, PermitPool.Held> held;
  private final Map<String, ActorRef<PermitPool.Command>> pools;
  private final Duration askTimeout;

  private RateLimits(
      ActorSystem<?> system, Map<String, RateLimit> limits, Map<String, PermitPool.Held> held,
      Map<String, ActorRef<PermitPool.Command>> pools, Duration askTimeout) {
    this.system = system;
    this.limits = limits;
    this.held = held;
    this.pools = pools;
    this.askTimeout = askTimeout;
  }

  /** @param limits the limited task types, by name */
  public static RateLimits start(ActorSystem<?> system, Map<String, RateLimit> limits, String nodeName, Duration askTimeout) {
    RateLimiter.init(system, limits::get, nodeName, Clock.systemUTC());
    Map<String, PermitPool.Held> held = new TreeMap<>();
    Map<String, ActorRef<PermitPool.Command>> pools = new TreeMap<>();
    limits.forEach((type, limit) -> {
      PermitPool.Held permits = new PermitPool.Held();
      held.put(type, permits);
      // Resumed, not restarted, on failure: a restart would forget the tasks waiting for a permit.
      var supervised = Behaviors.supervise(PermitPool.create(
              limit, permits, RateLimiter.ref(system, type), () -> membersNotDown(system), Clock.systemUTC()))
          .onFailure(SupervisorStrategy.resume());
      pools.put(type, system.systemActorOf(supervised, "permit-pool-" + type, Props.empty()));
    });
    return new RateLimits(system, Map.copyOf(limits), held, pools, askTimeout);
  }

  /**
   * The members a silent limiter's limit is shared among: every member not downed or removed,
   * reachable or not, so that the nodes of a partition's two sides never share it as if the
   * other side were gone (a dead node is downed within about a second, see cluster.conf).
   */
  private static int membersNotDown(ActorSystem<?> system) {
    int count = 0;
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (member.status() != MemberStatus.down() && member.status() != MemberStatus.removed()) count++;
    }
    return Math.max(1, count);
  }

  @Override
  public boolean tryTake(String type) {
    PermitPool.Held permits = held.get(type);
    if (permits == null) return true;
    boolean took = permits.tryTake();
    if (took && permits.isEmpty()) pools.get(type).tell(PermitPool.Drained.INSTANCE);
    return took;
  }

  @Override
  public void giveBack(String type) {
    PermitPool.Held permits = held.get(type);
    if (permits != null) permits.add(1);
  }

  @Override
  public void await(String type, int attempt, ActorRef<Granted> replyTo) {
    ActorRef<PermitPool.Command> pool = pools.get(type);
    if (pool == null) replyTo.tell(new Granted(attempt));
    else pool.tell(new PermitPool.Acquire(attempt, replyTo));
  }

  public Set<String> limitedTypes() {
    return limits.keySet();
  }

  public Optional<RateLimit> limit(String type) {
    return Optional.ofNullable(limits.get(type));
  }

  /** Tasks of {@code type} waiting for a permit on this node. */
  public int waiting(String type) {
    PermitPool.Held permits = held.get(type);
    return permits == null ? 0 : permits.waiting.get();
  }

  /** The limit, its limiter (asked wherever it runs) and this node's pool. */
  public CompletionStage<RateLimitView> view(String type) {
    RateLimit limit = limits.get(type);
    PermitPool.Held permits = held.get(type);
    return RateLimiter.ref(system, type)
        .<RateLimiter.Status>ask(RateLimiter.Get::new, askTimeout)
        .thenApply(status -> new RateLimitView(
            type, limit.permits(), limit.per().toMillis(), limit.burst(), limit.permitsPerSecond(),
            status.hostedBy(), status.leased(),
            new RateLimitView.ThisNode(permits.waiting.get(), permits.permits(), permits.leased.get())));
  }
}
