package io.steadfast.membership;

import com.typesafe.config.Config;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ClusterSharding;

/** Starts what watches membership on a node, with its settings from steadfast.membership. */
public final class Membership {
  private Membership() {}

  /**
   * Members whose process is gone are downed at once ({@link GoneMemberDowning}); this node
   * watches that it can serve tasks ({@link ServingWatch}) and says so through {@link Serving}.
   *
   * @param taskEntityType the sharded entity type whose coordinator decides whether tasks can be served
   */
  public static void start(ActorSystem<?> system, String taskEntityType) {
    Config settings = system.settings().config().getConfig("steadfast.membership");
    system.systemActorOf(
        GoneMemberDowning.create(
            settings.getDuration("gone-member-probe-interval"), settings.getDuration("gone-member-connect-timeout")),
        "gone-member-downing",
        Props.empty());
    ActorRef taskRegion = ClusterSharding.get(Adapter.toClassic(system)).shardRegion(taskEntityType);
    system.systemActorOf(
        ServingWatch.create(
            taskRegion,
            settings.getDuration("serving-check-interval"),
            settings.getDuration("serving-answer-timeout"),
            settings.getDuration("stop-when-not-serving-for")),
        "serving-watch",
        Props.empty());
  }
}
