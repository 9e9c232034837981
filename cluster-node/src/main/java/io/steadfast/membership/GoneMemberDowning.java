package io.steadfast.membership;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 */
public final class GoneMemberDowning {
  /** Two refusals in a row: one could be a port in the middle of a restart of the node. */
  static final int REFUSALS_TO_DOWN = 2;

  private GoneMemberDowning() {}

  sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record Probed(Address member, Answer answer) implements Command {}

  /** How a connection attempt to a member's remoting port went. */
  enum Answer {
    ACCEPTED,
    REFUSED,
    NO_ANSWER
  }

  /**
   * @param interval how often every other member's remoting port is tried
   * @param connectTimeout how long a connection attempt may take before it counts as no answer
   */
  public static Behavior<Command> create(Duration interval, Duration connectTimeout) {
    return Behaviors.setup(context -> {
      // Blocking connects, off the actor's dispatcher: one daemon thread is plenty for a few members.
      ExecutorService prober = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "steadfast-member-prober");
        thread.setDaemon(true);
        return thread;
      });
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
        return running(context, prober, (int) connectTimeout.toMillis(), new HashMap<>(), new HashSet<>());
      });
    });
  }

  /**
   * @param refusals refusals in a row, per member
   * @param inFlight members whose probe has not answered yet: a member that times out is not
   *     probed again until it has, so probes never pile up behind a silent host
   */
  private static Behavior<Command> running(
      ActorContext<Command> context,
      ExecutorService prober,
      int timeoutMs,
      Map<Address, Integer> refusals,
      Set<Address> inFlight) {
    Cluster cluster = Cluster.get(context.getSystem());
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, () -> {
          Set<Address> members = new HashSet<>();
          for (Member member : cluster.state().getMembers()) {
            if (member.address().equals(cluster.selfMember().address()) || !isProbed(member.status())) continue;
            Address address = member.address();
            members.add(address);
            if (!inFlight.add(address)) continue;
            context.pipeToSelf(
                CompletableFuture.supplyAsync(() -> probe(address, timeoutMs), prober),
                (answer, failure) -> new Probed(address, answer != null ? answer : Answer.NO_ANSWER));
          }
          refusals.keySet().retainAll(members);
          return Behaviors.same();
        })
        .onMessage(Probed.class, probed -> {
          inFlight.remove(probed.member());
          if (probed.answer() != Answer.REFUSED) {
            refusals.remove(probed.member());
            return Behaviors.same();
          }
          int seen = refusals.merge(probed.member(), 1, Integer::sum);
          Member gone = seen == REFUSALS_TO_DOWN ? liveMember(cluster, probed.member()) : null;
          if (gone != null) {
            context.getLog().warn(
                "member {} refuses connections on its remoting port: its process is gone; downing it",
                probed.member());
            cluster.manager().tell(new Down(probed.member()));
            quarantine(context, gone);
          }
          return Behaviors.same();
        })
        .onSignal(PostStop.class, stopped -> {
          prober.shutdownNow();
          return Behaviors.same();
        })
        .build();
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

  static Answer probe(Address member, int timeoutMs) {
    if (member.getHost().isEmpty() || member.getPort().isEmpty()) return Answer.NO_ANSWER;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(member.getHost().get(), (Integer) member.getPort().get()), timeoutMs);
      return Answer.ACCEPTED;
    } catch (ConnectException refused) {
      // "Connection refused" is the one definite answer; a timeout says nothing about the process.
      return refused.getMessage() != null && refused.getMessage().contains("refused") ? Answer.REFUSED : Answer.NO_ANSWER;
    } catch (IOException | RuntimeException other) {
      return Answer.NO_ANSWER;
    }
  }
}
