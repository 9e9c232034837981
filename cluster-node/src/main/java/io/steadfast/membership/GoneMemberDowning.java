package io.steadfast.membership;

import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.remote.RemoteActorRefProvider;
import scala.Option;

/**
 * Downs a member whose process is gone, in well under a second, without waiting for the failure
 * detector and the split-brain resolver, which are tuned to spare slow nodes (see cluster.conf).
 *
 * <p>A process that has died leaves no listener on its remoting port, so a connection to it is
 * refused at once (the host's kernel answers with a reset). A node that is only busy, paused by
 * a long GC or SIGSTOP, or cut off by a slow network keeps its listening socket: the kernel
 * still accepts the connection, or the attempt times out. Only a refusal, seen {@link
 * #REFUSALS_TO_DOWN} times in a row, downs a member; anything else is left to the failure
 * detector and the resolver. Every node probes every other member, so whichever survives acts.
 * Artery connects to the same canonical address, so a member that refuses here cannot be
 * reached by the cluster either.
 *
 * <p>An accepted connection is held open, not closed at once: each connection Artery accepted
 * cost the member about 2.5 ms of CPU (its TCP actors and the start of an inbound stream), about
 * a seventh of an idle 3-node cluster's CPU at one probe per member every 500 ms. Artery never writes on
 * an inbound connection, and keeps one that never sends its header open. When the member's
 * process dies, its kernel closes the connection and the member is probed again at once; while
 * a connection is held, the member is not probed at all.
 */
public final class GoneMemberDowning {
  /** Two refusals in a row: one could be a port in the middle of a restart of the node. */
  static final int REFUSALS_TO_DOWN = 2;

  private GoneMemberDowning() {}

  sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** A connection attempt's answer, and the connection itself if it was accepted. */
  private record Probed(Address member, MemberPort.Attempt attempt) implements Command {}

  /** A held connection to {@code member} ended: the member's end closed it, or this node did. */
  private record Closed(Address member, Socket connection) implements Command {}

  /**
   * @param interval how often a member without a held connection is tried
   * @param connectTimeout how long a connection attempt may take before it counts as no answer
   */
  public static Behavior<Command> create(Duration interval, Duration connectTimeout) {
    return Behaviors.setup(context -> {
      // Blocking connects, off the actor's dispatcher: one daemon thread is plenty for a few members.
      ExecutorService prober = Executors.newSingleThreadExecutor(daemon("steadfast-member-prober"));
      // A blocked read per held connection: one thread per other member.
      ExecutorService watchers = Executors.newCachedThreadPool(daemon("steadfast-member-watch"));
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
        return new Probing(context, prober, watchers, (int) connectTimeout.toMillis()).behavior();
      });
    });
  }

  private static ThreadFactory daemon(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  /** The probing of every other member, with what it has seen of each. */
  private static final class Probing {
    private final ActorContext<Command> context;
    private final ExecutorService prober;
    private final ExecutorService watchers;
    private final int timeoutMs;
    private final Cluster cluster;
    /** Refusals in a row, per member. */
    private final Map<Address, Integer> refusals = new HashMap<>();
    /**
     * Members whose probe has not answered yet: a member that times out is not probed again
     * until it has, so probes never pile up behind a silent host.
     */
    private final Set<Address> inFlight = new HashSet<>();
    /** Accepted connections held open, per member: such a member needs no probe. */
    private final Map<Address, Socket> held = new HashMap<>();

    Probing(ActorContext<Command> context, ExecutorService prober, ExecutorService watchers, int timeoutMs) {
      this.context = context;
      this.prober = prober;
      this.watchers = watchers;
      this.timeoutMs = timeoutMs;
      this.cluster = Cluster.get(context.getSystem());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, this::onTick)
          .onMessage(Probed.class, this::onProbed)
          .onMessage(Closed.class, this::onClosed)
          .onSignal(PostStop.class, stopped -> {
            held.values().forEach(MemberPort::closeQuietly);
            prober.shutdownNow();
            watchers.shutdownNow();
            return Behaviors.same();
          })
          .build();
    }

    private Behavior<Command> onTick() {
      Set<Address> members = new HashSet<>();
      for (Member member : cluster.state().getMembers()) {
        if (member.address().equals(cluster.selfMember().address()) || !isProbed(member.status())) continue;
        members.add(member.address());
        if (!held.containsKey(member.address())) probe(member.address());
      }
      refusals.keySet().retainAll(members);
      held.entrySet().removeIf(entry -> {
        if (members.contains(entry.getKey())) return false;
        MemberPort.closeQuietly(entry.getValue());
        return true;
      });
      return Behaviors.same();
    }

    private void probe(Address member) {
      if (!inFlight.add(member)) return;
      context.pipeToSelf(
          CompletableFuture.supplyAsync(() -> MemberPort.connect(member, timeoutMs), prober),
          (attempt, failure) -> new Probed(member, attempt != null ? attempt : MemberPort.Attempt.NO_ANSWER));
    }

    private Behavior<Command> onProbed(Probed probed) {
      Address member = probed.member();
      inFlight.remove(member);
      MemberPort.Answer answer = probed.attempt().answer();
      if (answer == MemberPort.Answer.ACCEPTED) {
        refusals.remove(member);
        Socket connection = probed.attempt().connection();
        Socket previous = held.put(member, connection);
        if (previous != null) MemberPort.closeQuietly(previous);
        context.pipeToSelf(
            CompletableFuture.runAsync(() -> MemberPort.awaitClose(connection), watchers),
            (done, failure) -> new Closed(member, connection));
        return Behaviors.same();
      }
      if (answer == MemberPort.Answer.NO_ANSWER) {
        refusals.remove(member);
        return Behaviors.same();
      }
      int seen = refusals.merge(member, 1, Integer::sum);
      Member gone = seen == REFUSALS_TO_DOWN ? liveMember(cluster, member) : null;
      if (gone != null) {
        context.getLog().warn(
            "member {} refuses connections on its remoting port: its process is gone; downing it", member);
        cluster.manager().tell(new Down(member));
        quarantine(context, gone);
      }
      return Behaviors.same();
    }

    /** A connection this node still held ended from the member's side: is its process gone? */
    private Behavior<Command> onClosed(Closed closed) {
      if (held.remove(closed.member(), closed.connection())) {
        MemberPort.closeQuietly(closed.connection());
        if (liveMember(cluster, closed.member()) != null) probe(closed.member());
      }
      return Behaviors.same();
    }
  }

  /** Members that take part in the cluster; one already down or removed needs nothing more. */
  private static boolean isProbed(MemberStatus status) {
    return status != MemberStatus.down() && status != MemberStatus.removed();
  }

  /** The member at {@code address} if it is still one that takes part, else null. */
  private static Member liveMember(Cluster cluster, Address address) {
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) return isProbed(member.status()) ? member : null;
    }
    return null;
  }

  /**
   * Pekko's leader removes a downed member only once it is also unreachable, and the failure
   * detector says so only after its acceptable pause (2 s and more): the larger part of a
   * failover. Quarantining the dead incarnation makes the cluster mark it terminated at once
   * ("Marking node as TERMINATED ... due to quarantine"), so it is removed at the next leader
   * tick. Quarantine is final for that incarnation only (its uid): the node started again on
   * the same port is a new incarnation and joins as usual. The call is Pekko's remoting
   * provider's own, which Pekko marks internal; there is no public one.
   */
  private static void quarantine(ActorContext<Command> context, Member gone) {
    var provider = ((ExtendedActorSystem) Adapter.toClassic(context.getSystem())).provider();
    if (provider instanceof RemoteActorRefProvider remote) {
      remote.quarantine(gone.address(), Option.apply((Object) gone.uniqueAddress().longUid()),
          "its remoting port refuses connections: the process is gone");
    }
  }
}
