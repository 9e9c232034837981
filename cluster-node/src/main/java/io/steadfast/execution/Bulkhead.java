package io.steadfast.execution;

import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Admission to one task type's handlers on this node: at most {@code concurrency} attempts hold
 * a permit at once; the others wait in a bounded queue, highest priority first (then oldest), and
 * a full queue turns newcomers away. A task waiting here is still PENDING or RETRY_WAIT, not
 * RUNNING, and its attempt timeout has not started. Permits of a holder that stops (passivated,
 * crashed, handed off) return by death watch, so none leak.
 */
public final class Bulkhead extends AbstractBehavior<Bulkhead.Command> {

  public sealed interface Command {}

  /** Asks a permit for attempt {@code attempt} of the task whose entity is {@code holder}. */
  public record Acquire(ActorRef<?> holder, int attempt, int priority, ActorRef<Reply> replyTo)
      implements Command {}

  public record Release(ActorRef<?> holder, int attempt) implements Command {}

  public record GetUsage(ActorRef<Usage> replyTo) implements Command {}

  private record HolderStopped(ActorRef<?> holder) implements Command {}

  public sealed interface Reply {}

  public record Granted(int attempt) implements Reply {}

  public record Rejected(int attempt, String reason) implements Reply {}

  /** For metrics and operators. */
  public record Usage(String type, int inUse, int queued, int concurrency, int maxQueue) {}

  private record Permit(ActorRef<?> holder, int attempt) {}

  private record Waiting(Permit permit, int priority, long sequence, ActorRef<Reply> replyTo) {}

  private static final Comparator<Waiting> HIGHEST_PRIORITY_THEN_OLDEST =
      Comparator.comparingInt((Waiting w) -> -w.priority()).thenComparingLong(Waiting::sequence);

  public static Behavior<Command> create(String type, int concurrency, int maxQueue) {
    return create(type, concurrency, maxQueue, new AtomicInteger(), new AtomicInteger());
  }

  /**
   * @param waiting kept equal to the number of waiting attempts, for admission control to read
   *     without asking (a restarted bulkhead starts again from an empty queue, and so does this)
   * @param inUse kept equal to the number of permits held, the same way, for metrics
   */
  public static Behavior<Command> create(
      String type, int concurrency, int maxQueue, AtomicInteger waiting, AtomicInteger inUse) {
    return Behaviors.setup(context -> {
      waiting.set(0);
      inUse.set(0);
      return new Bulkhead(context, type, concurrency, maxQueue, waiting, inUse);
    });
  }

  private final String type;
  private final int concurrency;
  private final int maxQueue;
  private final AtomicInteger waiting;
  private final AtomicInteger inUse;
  private final Set<Permit> granted = new HashSet<>();
  private final PriorityQueue<Waiting> queue = new PriorityQueue<>(HIGHEST_PRIORITY_THEN_OLDEST);
  private final Set<ActorRef<?>> watched = new HashSet<>();
  private long sequence;

  private Bulkhead(
      ActorContext<Command> context, String type, int concurrency, int maxQueue, AtomicInteger waiting,
      AtomicInteger inUse) {
    super(context);
    this.type = type;
    this.concurrency = concurrency;
    this.maxQueue = maxQueue;
    this.waiting = waiting;
    this.inUse = inUse;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::acquire)
        .onMessage(Release.class, this::release)
        .onMessage(HolderStopped.class, this::holderStopped)
        .onMessage(GetUsage.class, this::usage)
        .build();
  }

  private Behavior<Command> acquire(Acquire acquire) {
    Permit permit = new Permit(acquire.holder(), acquire.attempt());
    if (granted.contains(permit)) {
      acquire.replyTo().tell(new Granted(acquire.attempt())); // a repeated ask: answer it again
    } else if (isQueued(permit)) {
      return this; // already waiting; it will be answered when its turn comes
    } else if (granted.size() < concurrency) {
      watch(acquire.holder());
      granted.add(permit);
      acquire.replyTo().tell(new Granted(acquire.attempt()));
    } else if (queue.size() < maxQueue) {
      watch(acquire.holder());
      queue.add(new Waiting(permit, acquire.priority(), sequence++, acquire.replyTo()));
    } else {
      acquire.replyTo().tell(
          new Rejected(acquire.attempt(), "bulkhead of type '" + type + "' is full: " + concurrency
              + " running, " + maxQueue + " waiting"));
    }
    publishCounts();
    return this;
  }

  private Behavior<Command> release(Release release) {
    Permit permit = new Permit(release.holder(), release.attempt());
    if (!granted.remove(permit)) queue.removeIf(w -> w.permit().equals(permit));
    unwatchIfIdle(release.holder());
    grantWhileFree();
    publishCounts();
    return this;
  }

  private Behavior<Command> holderStopped(HolderStopped stopped) {
    granted.removeIf(permit -> permit.holder().equals(stopped.holder()));
    queue.removeIf(w -> w.permit().holder().equals(stopped.holder()));
    watched.remove(stopped.holder());
    grantWhileFree();
    publishCounts();
    return this;
  }

  private Behavior<Command> usage(GetUsage get) {
    get.replyTo().tell(new Usage(type, granted.size(), queue.size(), concurrency, maxQueue));
    return this;
  }

  /** Copies the counts where admission control and metrics read them without asking. */
  private void publishCounts() {
    waiting.set(queue.size());
    inUse.set(granted.size());
  }

  private void grantWhileFree() {
    while (granted.size() < concurrency && !queue.isEmpty()) {
      Waiting next = queue.poll();
      granted.add(next.permit());
      next.replyTo().tell(new Granted(next.permit().attempt()));
    }
  }

  private boolean isQueued(Permit permit) {
    for (Iterator<Waiting> it = queue.iterator(); it.hasNext(); ) {
      if (it.next().permit().equals(permit)) return true;
    }
    return false;
  }

  private void watch(ActorRef<?> holder) {
    if (watched.add(holder)) getContext().watchWith(holder, new HolderStopped(holder));
  }

  private void unwatchIfIdle(ActorRef<?> holder) {
    boolean holds = granted.stream().anyMatch(permit -> permit.holder().equals(holder));
    boolean waits = queue.stream().anyMatch(w -> w.permit().holder().equals(holder));
    if (!holds && !waits && watched.remove(holder)) getContext().unwatch(holder);
  }
}
