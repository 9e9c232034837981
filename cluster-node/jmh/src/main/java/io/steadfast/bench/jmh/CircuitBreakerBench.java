package io.steadfast.bench.jmh;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.steadfast.breaker.BreakerSettings;
import io.steadfast.breaker.CircuitBreakers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What an attempt pays for its circuit breaker on the node that runs it: reading the local copy
 * of the breaker's status ({@link CircuitBreakers#status}, a ConcurrentHashMap read) and
 * switching on its state, as a task's AttemptGate does before every attempt; and reporting the
 * result ({@link CircuitBreakers#report}, a tell to the local reporter actor), as it does after.
 *
 * <p>The real {@link CircuitBreakers} runs here, on a one-node cluster with sharding and an
 * in-memory journal, so the reporter's batches really reach a breaker entity in the background.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CircuitBreakerBench {
  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko {
        loglevel = WARNING
        actor.provider = cluster
        remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
        persistence {
          journal.plugin = "pekko.persistence.journal.inmem"
          snapshot-store.plugin = "pekko.persistence.snapshot-store.local"
          snapshot-store.local.dir = ${java.io.tmpdir}"/steadfast-jmh-snapshots"
        }
      }
      """);

  private ActorSystem<Void> system;
  private CircuitBreakers breakers;
  /** For comparison with report(): a local actor that drops what it is told. */
  private ActorRef<Object> sink;
  /** Not a constant, so that the JIT cannot fold the map lookup away. */
  private String type = "noop";

  @Setup(Level.Trial)
  public void start() {
    system = ActorSystem.create(Behaviors.empty(), "jmh", ConfigFactory.load(CONFIG));
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await("the node to be up", () -> cluster.selfMember().status() == MemberStatus.up());
    sink = system.systemActorOf(Behaviors.ignore(), "sink", Props.empty());
    breakers = CircuitBreakers.start(system, List.of(type), t -> BreakerSettings.DEFAULTS, "jmh", Duration.ofSeconds(5));
    // The board fills from the breaker entity; measure the path every attempt takes, a hit.
    await("the breaker's status on the board", () -> breakers.lastHeard(type).isPresent());
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The check before an attempt (AttemptGate#due): the local copy, then the switch. */
  @Benchmark
  public int statusAndSwitch() {
    return switch (breakers.status(type).state()) {
      case OPEN -> 1;
      case FORCED_OPEN -> 2;
      case HALF_OPEN -> 3;
      case CLOSED -> 4;
    };
  }

  /** The report after an attempt: a tell to the local reporter, which batches it. */
  @Benchmark
  public void report() {
    breakers.report(type, false, false);
  }

  /** Baseline: a bare tell of a small message to a local actor that ignores it. */
  @Benchmark
  public void bareTell() {
    sink.tell(type);
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
