package io.steadfast.membership;

import io.steadfast.execution.Bulkheads;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.api.ClusterView;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Answers, on every node, what the node runs now: registered with the receptionist so that any
 * node can find every other node's reporter and ask them all ({@link ClusterOverview}). It reads
 * the node's bulkheads without asking them.
 */
public final class NodeLoadReporter {
  static final ServiceKey<Get> KEY = ServiceKey.create(Get.class, "steadfast-node-load");

  private NodeLoadReporter() {}

  public record Get(ActorRef<ClusterView.NodeLoad> replyTo) implements CborSerializable {}

  static Behavior<Get> create(Supplier<ClusterView.NodeLoad> load) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      return Behaviors.receiveMessage(get -> {
        get.replyTo().tell(load.get());
        return Behaviors.same();
      });
    });
  }

  /** This node's load, read from its bulkheads as they are now. */
  public static Supplier<ClusterView.NodeLoad> of(Iterable<Bulkheads.Limits> limits, Bulkheads bulkheads) {
    return () -> {
      Map<String, ClusterView.Bulkhead> byType = new TreeMap<>();
      int running = 0;
      for (Bulkheads.Limits type : limits) {
        int inUse = bulkheads.inUse(type.type());
        running += inUse;
        byType.put(type.type(), new ClusterView.Bulkhead(type.concurrency(), inUse, bulkheads.waiting(type.type())));
      }
      return new ClusterView.NodeLoad(running, byType);
    };
  }
}
