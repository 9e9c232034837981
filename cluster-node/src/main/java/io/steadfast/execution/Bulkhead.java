package io.steadfast.execution;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
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
 *
 * <p>Its slots are counted in {@link BulkheadSlots}, where a new task may also take one without
 * asking (see {@link Bulkheads#tryAcquireNow}) and then tells this actor to {@link Adopt} the
 * permit, which from then on is watched and released like any other.
 */
public final class Bulkhead extends AbstractBehavior<Bulkhead.Command> {

  public sealed interface Command {}

  /** Asks a permit for attempt {@code attempt} of the task whose entity is {@code holder}. */
  public record Acquire(ActorRef<?> holder, int attempt, int priority, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Takes on the permit of a holder that already took its slot in {@link BulkheadSlots}. The
   * holder sends this and its later {@link Release} itself, so this always comes first.
   */
  public record Adopt(ActorRef<?> holder, int attempt) implements Command {}

  public record Release(ActorRef<?> holder, int attempt) implements Command {}

  private record HolderStopped(ActorRef<?> holder) implements Command {}

  public sealed interface Reply {}

  public record Granted(int attempt) implements Reply {}

  /** The queue is full: ask again a little later. */
  public record Rejected(int attempt) implements Reply {}

  private record Permit(ActorRef<?> holder, int attempt) {}

  private record Waiting(Permit permit, int priority, long sequence, ActorRef<Reply> replyTo) {}

  private static final Comparator<Waiting> HIGHEST_PRIORITY_THEN_OLDEST =
      Comparator.comparingInt((Waiting w) -> -w.priority()).thenComparingLong(Waiting::sequence);

  /**
   * @param slots counts the permits held and publishes the queue's length, for fast starts,
   *     admission control and metrics to read without asking (a restarted bulkhead starts again
   *     from no holders and an empty queue, and so do they)
   */
  public static Behavior<Command> create(int maxQueue, BulkheadSlots slots) {
    return Behaviors.setup(context -> new Bulkhead(context, maxQueue, slots));
  }

  private final int maxQueue;
  private final BulkheadSlots slots;
  // Every operation is O(1) or O(log n): under load thousands of attempts wait here.
  private final Set<Permit> granted = new HashSet<>();
  private final TreeSet<Waiting> queue = new TreeSet<>(HIGHEST_PRIORITY_THEN_OLDEST);
  private final Map<Permit, Waiting> waiting = new HashMap<>();
  /** The permits each holder has or waits for; a holder is watched while it has any. */
  private final Map<ActorRef<?>, Set<Permit>> permitsByHolder = new HashMap<>();
  private long sequence;

  private Bulkhead(ActorContext<Command> context, int maxQueue, BulkheadSlots slots) {
    super(context);
    this.maxQueue = maxQueue;
    this.slots = slots;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::acquire)
        .onMessage(Adopt.class, this::adopt)
        .onMessage(Release.class, this::release)
        .onMessage(HolderStopped.class, this::holderStopped)
        .onSignal(PreRestart.class, signal -> forgetAll())
        .build();
  }

  private Behavior<Command> acquire(Acquire acquire) {
    Permit permit = new Permit(acquire.holder(), acquire.attempt());
    if (granted.contains(permit)) {
      acquire.replyTo().tell(new Granted(acquire.attempt())); // a repeated ask: answer it again
    } else if (waiting.containsKey(permit)) {
      return this; // already waiting; it will be answered when its turn comes
    } else if (slots.tryTake()) {
      grant(permit);
      acquire.replyTo().tell(new Granted(acquire.attempt()));
    } else if (queue.size() < maxQueue) {
      Waiting entry = new Waiting(permit, acquire.priority(), sequence++, acquire.replyTo());
      queue.add(entry);
      waiting.put(permit, entry);
      track(permit);
    } else {
      acquire.replyTo().tell(new Rejected(acquire.attempt()));
    }
    publishWaiting();
    return this;
  }

  private Behavior<Command> adopt(Adopt adopt) {
    Permit permit = new Permit(adopt.holder(), adopt.attempt());
    if (granted.contains(permit)) freeSlot(); // held already: one slot is enough
    else grant(permit);
    return this;
  }

  private Behavior<Command> release(Release release) {
    Permit permit = new Permit(release.holder(), release.attempt());
    if (granted.remove(permit)) {
      untrack(permit);
      freeSlot();
    } else {
      Waiting entry = waiting.remove(permit);
      if (entry != null) {
        queue.remove(entry);
        untrack(permit);
      }
    }
    publishWaiting();
    return this;
  }

  private Behavior<Command> holderStopped(HolderStopped stopped) {
    Set<Permit> permits = permitsByHolder.remove(stopped.holder());
    if (permits == null) return this;
    // Its own waiting attempts go first, so that none of its freed slots is handed back to it.
    for (Permit permit : permits) {
      Waiting entry = waiting.remove(permit);
      if (entry != null) queue.remove(entry);
    }
    for (Permit permit : permits) {
      if (granted.remove(permit)) freeSlot();
    }
    publishWaiting();
    return this;
  }

  /**
   * Failed: the next incarnation starts from no holders and an empty queue. Reset now, not when it
   * starts, so that fast starts during the restart's backoff (their Adopts wait in the stash) are
   * counted by it.
   */
  private Behavior<Command> forgetAll() {
    slots.reset();
    return this;
  }

  /** Copies the queue's length where fast starts and admission control read it without asking. */
  private void publishWaiting() {
    slots.publishWaiting(queue.size());
  }

  /**
   * Hands a freed slot straight to the next waiter, and frees it only when nobody waits: a fast
   * start, which takes free slots without asking, must never find one while an attempt waits.
   */
  private void freeSlot() {
    Waiting next = queue.pollFirst();
    if (next == null) {
      slots.free();
      return;
    }
    waiting.remove(next.permit());
    granted.add(next.permit()); // still tracked for its holder, now as held
    next.replyTo().tell(new Granted(next.permit().attempt()));
  }

  private void grant(Permit permit) {
    granted.add(permit);
    track(permit);
  }

  /** Its holder is watched while it holds or waits for any permit, so that its death frees them. */
  private void track(Permit permit) {
    permitsByHolder
        .computeIfAbsent(permit.holder(), holder -> {
          getContext().watchWith(holder, new HolderStopped(holder));
          return new HashSet<>();
        })
        .add(permit);
  }

  private void untrack(Permit permit) {
    Set<Permit> permits = permitsByHolder.get(permit.holder());
    if (permits == null || !permits.remove(permit) || !permits.isEmpty()) return;
    permitsByHolder.remove(permit.holder());
    getContext().unwatch(permit.holder());
  }
}
