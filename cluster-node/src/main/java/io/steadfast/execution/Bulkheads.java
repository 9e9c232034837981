package io.steadfast.execution;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * This node's bulkheads, one per task type: the admission actor and the thread pool the type's
 * handlers run on. Each type has threads of its own, so a hung or slow type cannot take the
 * threads of another.
 */
public final class Bulkheads {

  /**
   * What one type's bulkhead allows on each node.
   *
   * @param concurrency attempts running at once, each on a thread of the type's own pool
   * @param maxQueue attempts waiting for a slot before newcomers are turned away
   */
  public record Limits(String type, int concurrency, int maxQueue) {}

  private final Map<String, ActorRef<Bulkhead.Command>> admissions;
  private final Map<String, ExecutorService> executors;
  private final Map<String, BulkheadSlots> slots;

  private Bulkheads(
      Map<String, ActorRef<Bulkhead.Command>> admissions, Map<String, ExecutorService> executors,
      Map<String, BulkheadSlots> slots) {
    this.admissions = admissions;
    this.executors = executors;
    this.slots = slots;
  }

  public static Bulkheads start(ActorSystem<?> system, Iterable<Limits> types) {
    Map<String, ActorRef<Bulkhead.Command>> admissions = new TreeMap<>();
    Map<String, ExecutorService> executors = new TreeMap<>();
    Map<String, BulkheadSlots> slots = new TreeMap<>();
    for (Limits type : types) {
      BulkheadSlots slotsOfType = new BulkheadSlots(type.concurrency());
      slots.put(type.type(), slotsOfType);
      var supervised =
          Behaviors.supervise(Bulkhead.create(type.maxQueue(), slotsOfType))
              .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
      admissions.put(type.type(), system.systemActorOf(supervised, "bulkhead-" + type.type(), Props.empty()));
      executors.put(type.type(), Executors.newFixedThreadPool(type.concurrency(), threadsNamed(type.type())));
    }
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "stop-handler-threads",
            () -> {
              executors.values().forEach(ExecutorService::shutdownNow);
              return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
            });
    return new Bulkheads(admissions, executors, slots);
  }

  public ActorRef<Bulkhead.Command> admission(String type) {
    return admissions.get(type);
  }

  /**
   * Takes a free slot of {@code type}'s bulkhead for attempt {@code attempt} of {@code holder} at
   * once, without asking the bulkhead's actor, if nobody waits for one (see {@link
   * BulkheadSlots#tryTakeUnqueued}); then tells the actor to {@link Bulkhead.Adopt adopt} the
   * permit, so that it watches the holder and takes the permit's {@link Bulkhead.Release} as for
   * any other. Call it from the holder's own actor, which sends the Release later: one sender's
   * messages arrive in order, so the actor always adopts a permit before it is released.
   *
   * @return false, with nothing taken, when no slot is free, an attempt waits, or this node has no
   *     bulkhead for {@code type}
   */
  public boolean tryAcquireNow(String type, ActorRef<?> holder, int attempt) {
    BulkheadSlots slotsOfType = slots.get(type);
    if (slotsOfType == null || !slotsOfType.tryTakeUnqueued()) return false;
    admissions.get(type).tell(new Bulkhead.Adopt(holder, attempt));
    return true;
  }

  public ExecutorService executor(String type) {
    return executors.get(type);
  }

  /** Whether any attempt holds or waits for a slot on this node (read without asking). */
  public boolean busy() {
    return slots.values().stream().anyMatch(slotsOfType -> slotsOfType.inUse() > 0 || slotsOfType.waiting() > 0);
  }

  /** Attempts waiting for a slot in any of this node's bulkheads (read without asking). */
  public int waitingAttempts() {
    return slots.values().stream().mapToInt(BulkheadSlots::waiting).sum();
  }

  /** Attempts of {@code type} waiting for a slot on this node (read without asking). */
  public int waiting(String type) {
    BulkheadSlots slotsOfType = slots.get(type);
    return slotsOfType == null ? 0 : slotsOfType.waiting();
  }

  /** The slots of {@code type}'s bulkhead on this node: 0 for a type it has none for. */
  public int concurrency(String type) {
    BulkheadSlots slotsOfType = slots.get(type);
    return slotsOfType == null ? 0 : slotsOfType.concurrency();
  }

  /** Attempts of {@code type} holding a slot on this node, fast starts included (read without asking). */
  public int inUse(String type) {
    BulkheadSlots slotsOfType = slots.get(type);
    return slotsOfType == null ? 0 : slotsOfType.inUse();
  }

  private static ThreadFactory threadsNamed(String type) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, "steadfast-" + type + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
