package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.task.TaskEntity.AttemptFailed;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.Deferred;
import io.steadfast.task.TaskEntity.Event;
import io.steadfast.task.TaskEntity.Submitted;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How task events are written to the journal (and sent between nodes): times as numbers, which
 * the serializer reads cheaper than ISO-8601 text, to the nanosecond; and events an earlier build
 * wrote with text times still read, so a journal replays across the upgrade.
 */
class TaskEventFormatTest {
  private static final Instant AT = Instant.parse("2026-03-01T12:00:00.123456789Z");
  private static final Instant UNTIL = Instant.parse("2026-03-01T12:00:05Z");
  private static final JsonNode PAYLOAD = JsonNodeFactory.instance.objectNode().put("to", "a@example.com");
  private static final RetryPolicy POLICY =
      new RetryPolicy(RetryPolicy.Strategy.EXPONENTIAL, 100, 2.0, 10_000, RetryPolicy.Jitter.FULL, 0.5, 3);
  private static final CBORMapper CBOR = new CBORMapper();

  /** A Deferred event as the build before times went in as numbers wrote it (CBOR, hex). */
  private static final String DEFERRED_WITH_TEXT_TIMES =
      "bf65756e74696c74323032362d30332d30315431323a30303a30355a66726561736f6e6c627265616b6572206f70656e"
          + "626174781e323032362d30332d30315431323a30303a30302e3132333435363738395aff";

  private static ActorTestKit testKit;
  private static Serialization serialization;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseResources("serialization.conf")
        .withFallback(ConfigFactory.defaultReference()).resolve());
    serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static List<Event> events() {
    TaskSpec spec = new TaskSpec("email", PAYLOAD, "key-1", POLICY, 5_000, TaskSpec.DEFAULT_PRIORITY, UNTIL);
    return List.of(
        new Submitted(spec, AT),
        new AttemptStarted(1, "127.0.0.1:2551", AT),
        new AttemptFailed(1, AttemptOutcome.FAILED, new TaskError("IO", "reset", true), UNTIL, true, AT),
        new Deferred(UNTIL, "breaker open", AT));
  }

  private static SerializerWithStringManifest serializerOf(Object event) {
    return (SerializerWithStringManifest) serialization.findSerializerFor(event);
  }

  @Test
  void everyTimeReadsBackToTheNanosecond() throws Exception {
    for (Event event : events()) {
      SerializerWithStringManifest serializer = serializerOf(event);
      Object back = serializer.fromBinary(serializer.toBinary(event), serializer.manifest(event));
      assertEquals(event, back, "round trip of " + event.getClass().getSimpleName());
    }
  }

  @Test
  void timesAreWrittenAsNumbersNotText() throws Exception {
    for (Event event : events()) {
      JsonNode written = CBOR.readTree(serializerOf(event).toBinary(event));
      JsonNode at = written.get("at");
      assertTrue(at.isNumber(), event.getClass().getSimpleName() + ".at is written as " + at);
      if (event instanceof Submitted) {
        assertTrue(written.get("spec").get("runAt").isNumber(), "a spec's runAt is written as a number");
      }
    }
  }

  @Test
  void anEventWrittenWithTextTimesStillReads() throws Exception {
    Deferred expected = new Deferred(UNTIL, "breaker open", AT);
    SerializerWithStringManifest serializer = serializerOf(expected);
    Object read = serializer.fromBinary(HexFormat.of().parseHex(DEFERRED_WITH_TEXT_TIMES), serializer.manifest(expected));
    assertEquals(expected, read);
  }
}
