package io.steadfast.execution;

import io.steadfast.task.TaskType;
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
  private final Map<String, ActorRef<Bulkhead.Command>> admissions;
  private final Map<String, ExecutorService> executors;
  private final Map<String, AtomicInteger> waiting;
  private final Map<String, AtomicInteger> inUse;

  private Bulkheads(
      Map<String, ActorRef<Bulkhead.Command>> admissions, Map<String, ExecutorService> executors,
      Map<String, AtomicInteger> waiting, Map<String, AtomicInteger> inUse) {
    this.admissions = admissions;
    this.executors = executors;
    this.waiting = waiting;
    this.inUse = inUse;
  }

  public static Bulkheads start(ActorSystem<?> system, Iterable<TaskType> types) {
    Map<String, ActorRef<Bulkhead.Command>> admissions = new TreeMap<>();
    Map<String, ExecutorService> executors = new TreeMap<>();
    Map<String, AtomicInteger> waiting = new TreeMap<>();
    Map<String, AtomicInteger> inUse = new TreeMap<>();
    for (TaskType type : types) {
      AtomicInteger waitingOfType = new AtomicInteger();
      AtomicInteger inUseOfType = new AtomicInteger();
      waiting.put(type.name(), waitingOfType);
      inUse.put(type.name(), inUseOfType);
      var supervised =
          Behaviors.supervise(
                  Bulkhead.create(type.name(), type.concurrency(), type.maxQueue(), waitingOfType, inUseOfType))
              .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0.2));
      admissions.put(type.name(), system.systemActorOf(supervised, "bulkhead-" + type.name(), Props.empty()));
      executors.put(type.name(), Executors.newFixedThreadPool(type.concurrency(), threadsNamed(type.name())));
    }
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "stop-handler-threads",
            () -> {
              executors.values().forEach(ExecutorService::shutdownNow);
              return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
            });
    return new Bulkheads(admissions, executors, waiting, inUse);
  }

  public ActorRef<Bulkhead.Command> admission(String type) {
    return admissions.get(type);
  }

  public ExecutorService executor(String type) {
    return executors.get(type);
  }

  /** Attempts waiting for a slot in any of this node's bulkheads (read without asking). */
  public int waitingAttempts() {
    return waiting.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Attempts of {@code type} waiting for a slot on this node (read without asking). */
  public int waiting(String type) {
    AtomicInteger count = waiting.get(type);
    return count == null ? 0 : count.get();
  }

  /** Attempts of {@code type} holding a slot on this node (read without asking). */
  public int inUse(String type) {
    AtomicInteger count = inUse.get(type);
    return count == null ? 0 : count.get();
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
