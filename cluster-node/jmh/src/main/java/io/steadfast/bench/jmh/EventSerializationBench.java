package io.steadfast.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.AttemptSucceeded;
import io.steadfast.task.TaskEntity.Submitted;
import io.steadfast.task.TaskSpec;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the serializer costs a noop task's three events (Submitted, AttemptStarted,
 * AttemptSucceeded): each written once and read back once, as the journal write and the read
 * side do. {@code times}: {@code numbers} is the node's configuration (serialization.conf);
 * {@code text} writes times as ISO-8601 text, as builds before it did.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventSerializationBench {
  @Param({"numbers", "text"})
  public String times;

  private ActorSystem system;
  private List<Object> events;
  private List<SerializerWithStringManifest> serializers;

  @Setup(Level.Trial)
  public void start() {
    Config config = ConfigFactory.parseString("pekko.loglevel = WARNING")
        .withFallback(times.equals("text")
            ? ConfigFactory.parseString(
                "pekko.serialization.jackson.jackson-cbor.serialization-features.WRITE_DATES_AS_TIMESTAMPS = off")
            : ConfigFactory.empty())
        .withFallback(ConfigFactory.parseResources("serialization.conf"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    system = ActorSystem.create("jmh", config);
    Serialization serialization = SerializationExtension.get(system);
    Instant now = Instant.now();
    JsonNode payload = JsonNodeFactory.instance.objectNode().put("n", 1);
    RetryPolicy policy =
        new RetryPolicy(RetryPolicy.Strategy.EXPONENTIAL, 100, 2.0, 10_000, RetryPolicy.Jitter.FULL, 0.5, 3);
    events = List.of(
        new Submitted(new TaskSpec("noop", payload, null, policy, 30_000, TaskSpec.DEFAULT_PRIORITY, null), now),
        new AttemptStarted(1, "127.0.0.1:2551", now),
        new AttemptSucceeded(1, payload, now));
    serializers = events.stream()
        .map(event -> (SerializerWithStringManifest) serialization.findSerializerFor(event))
        .toList();
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The three events written and read back. */
  @Benchmark
  public void roundTripOfATasksEvents(Blackhole sink) throws Exception {
    for (int i = 0; i < events.size(); i++) {
      SerializerWithStringManifest serializer = serializers.get(i);
      Object event = events.get(i);
      sink.consume(serializer.fromBinary(serializer.toBinary(event), serializer.manifest(event)));
    }
  }
}
