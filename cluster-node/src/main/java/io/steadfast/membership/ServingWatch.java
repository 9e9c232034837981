package io.steadfast.membership;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;

/**
 * Checks every {@code interval} that this node can serve tasks: it is an Up member, and the task
 * shards' coordinator answers and counts this node's region among its regions. A node cut off
 * from the coordinator, or whose region never registered, would otherwise answer {@code /ready}
 * with OK and every task request with a 503 after the ask timeout. It reports to {@link
 * Serving}; a node that has not served for {@code giveUpAfter} stops, so that whatever runs it
 * (scripts/cluster.sh, systemd, Kubernetes) starts it afresh.
 */
public final class ServingWatch {
  private ServingWatch() {}

  sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /**
   * @param notServingBecause null when the node serves
   * @param unanswered the coordinator did not answer in time: on a busy node that can be a slow
   *     answer, so it counts only when it happens {@link #UNANSWERED_CHECKS_TO_TELL} times in a row
   */
  private record Checked(String notServingBecause, boolean unanswered) implements Command {
    Checked(String notServingBecause) {
      this(notServingBecause, false);
    }
  }

  /** A node that serves says it does not after this many unanswered checks in a row. */
  static final int UNANSWERED_CHECKS_TO_TELL = 2;

  /** Stops the JVM with this reason when the node has not served for too long. */
  public static final class NotServing implements CoordinatedShutdown.Reason {}

  /**
   * @param taskRegion the classic shard region of the task entities
   * @param giveUpAfter how long a node that served once may go without serving before it stops
   */
  public static Behavior<Command> create(
      ActorRef taskRegion, Duration interval, Duration answerTimeout, Duration giveUpAfter) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
      return new ServingWatch.Running(context, taskRegion, answerTimeout, giveUpAfter).behavior();
    }));
  }

  private static final class Running {
    private final ActorContext<Command> context;
    private final ActorRef taskRegion;
    private final Duration answerTimeout;
    private final Duration giveUpAfter;
    private final Serving serving;
    private final Cluster cluster;
    private boolean checking;
    private boolean servedOnce;
    private int unansweredInARow;
    private Instant notServingSince = Instant.now();

    Running(ActorContext<Command> context, ActorRef taskRegion, Duration answerTimeout, Duration giveUpAfter) {
      this.context = context;
      this.taskRegion = taskRegion;
      this.answerTimeout = answerTimeout;
      this.giveUpAfter = giveUpAfter;
      this.serving = Serving.get(context.getSystem());
      this.cluster = Cluster.get(context.getSystem());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, this::check)
          .onMessage(Checked.class, this::checked)
          .build();
    }

    private Behavior<Command> check() {
      if (checking) return Behaviors.same(); // the previous check is still waiting for its answer
      MemberStatus status = cluster.selfMember().status();
      if (status != MemberStatus.up()) {
        return checked(new Checked("this node is not an Up member of the cluster (it is " + status + ")"));
      }
      checking = true;
      Address self = cluster.selfMember().address();
      CompletionStage<Object> answer = Patterns.ask(taskRegion, ShardRegion.getCurrentRegionsInstance(), answerTimeout);
      context.pipeToSelf(answer, (regions, failure) -> {
        if (failure != null) {
          return new Checked(
              "the task shards' coordinator did not answer within " + answerTimeout.toMillis() + " ms", true);
        }
        boolean registered = ((ShardRegion.CurrentRegions) regions).getRegions().contains(self);
        return new Checked(registered ? null : "this node's task shard region is not registered with the coordinator");
      });
      return Behaviors.same();
    }

    private Behavior<Command> checked(Checked checked) {
      checking = false;
      unansweredInARow = checked.unanswered() ? unansweredInARow + 1 : 0;
      if (serving.isServing() && checked.unanswered() && unansweredInARow < UNANSWERED_CHECKS_TO_TELL) {
        return Behaviors.same(); // one slow answer on a busy node is not an outage yet
      }
      if (checked.notServingBecause() == null) {
        if (!serving.isServing()) context.getLog().info("serving tasks");
        serving.serving();
        servedOnce = true;
        notServingSince = null;
        return Behaviors.same();
      }
      if (serving.isServing()) context.getLog().warn("not serving tasks: {}", checked.notServingBecause());
      serving.notServing(checked.notServingBecause());
      Instant now = Instant.now();
      if (notServingSince == null) notServingSince = now;
      if (servedOnce && Duration.between(notServingSince, now).compareTo(giveUpAfter) >= 0) {
        context.getLog().error(
            "not served tasks for {} s ({}); stopping so that this node can be started afresh",
            giveUpAfter.toSeconds(), checked.notServingBecause());
        CoordinatedShutdown.get(Adapter.toClassic(context.getSystem())).runAll(new NotServing());
        return Behaviors.stopped(); // once: the shutdown takes it from here
      }
      return Behaviors.same();
    }
  }
}
