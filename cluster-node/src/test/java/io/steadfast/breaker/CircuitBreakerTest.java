package io.steadfast.breaker;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.api.CircuitBreakerView;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The durable breaker entity: inputs persisted, replayed, published; trials and operators. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CircuitBreakerTest {
  private static final BreakerSettings SETTINGS =
      new BreakerSettings(3, 0, 20, 10, Duration.ofMillis(300), 1.0, Duration.ofMillis(300), 1, 20);
  private static final CircuitBreaker.Result FAILURE = new CircuitBreaker.Result(true, false);
  private static final CircuitBreaker.Result SUCCESS = new CircuitBreaker.Result(false, false);

  private final ActorTestKit testKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")).resolve());
  private TestProbe<Topic.Command<BreakerBoard.Changed>> topic;
  private EventSourcedBehaviorTestKit<CircuitBreaker.Command, CircuitBreaker.Event, BreakerStatus> breaker;

  @BeforeEach
  void newBreaker() {
    topic = testKit.createTestProbe();
    breaker = EventSourcedBehaviorTestKit.create(
        testKit.system(), CircuitBreaker.create("email", SETTINGS, topic.ref(), "127.0.0.1:2551", Clock.systemUTC()));
    breaker.clear();
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void opensAfterTheThresholdAndPublishesTheChange() {
    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE, FAILURE)));
    assertEquals(BreakerState.CLOSED, breaker.getState().state());
    topic.receiveMessage(); // the change in counts

    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE)));

    assertEquals(BreakerState.OPEN, breaker.getState().state());
    topic.receiveMessage();
  }

  @Test
  void resultsThatChangeNothingAreNotPersisted() {
    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE, FAILURE, FAILURE)));

    var late = breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE)));

    assertTrue(late.hasNoEvents(), "results arriving while open are ignored without a write");
  }

  @Test
  void turnsHalfOpenAfterTheResetTimeoutLetsOneTrialThroughAndClosesOnItsSuccess() {
    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE, FAILURE, FAILURE)));
    awaitState(BreakerState.HALF_OPEN);

    var first = breaker.<CircuitBreaker.TrialAnswer>runCommand(CircuitBreaker.RequestTrial::new);
    var second = breaker.<CircuitBreaker.TrialAnswer>runCommand(CircuitBreaker.RequestTrial::new);
    assertTrue(first.reply().granted());
    assertFalse(second.reply().granted());

    breaker.runCommand(new CircuitBreaker.Record(List.of(new CircuitBreaker.Result(false, true))));
    assertEquals(BreakerState.CLOSED, breaker.getState().state());
  }

  @Test
  void whileHalfOpenOnlyTrialResultsCount() {
    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE, FAILURE, FAILURE)));
    awaitState(BreakerState.HALF_OPEN);
    breaker.runCommand(CircuitBreaker.RequestTrial::new);

    breaker.runCommand(new CircuitBreaker.Record(List.of(SUCCESS, FAILURE)));

    assertEquals(BreakerState.HALF_OPEN, breaker.getState().state(), "results of attempts begun before opening");
  }

  @Test
  void aTrialThatNeverReportsCountsAsFailedAfterAResetTimeout() {
    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE, FAILURE, FAILURE)));
    awaitState(BreakerState.HALF_OPEN);
    breaker.runCommand(CircuitBreaker.RequestTrial::new);

    awaitState(BreakerState.OPEN);
  }

  @Test
  void operatorsResetAndForceOpenIt() {
    var forced = breaker.<CircuitBreakerView>runCommand(CircuitBreaker.ForceOpen::new);
    assertEquals("FORCED_OPEN", forced.reply().state());
    assertEquals("forced open by an operator", forced.reply().transitions().get(0).reason());

    var reset = breaker.<CircuitBreakerView>runCommand(CircuitBreaker.Reset::new);
    assertEquals("CLOSED", reset.reply().state());
    assertEquals("127.0.0.1:2551", reset.reply().hostedBy());
  }

  @Test
  void keepsItsStateAcrossARestart() {
    breaker.runCommand(new CircuitBreaker.Record(List.of(FAILURE, FAILURE, FAILURE)));
    BreakerStatus before = breaker.getState();

    assertEquals(before, breaker.restart().state());
    assertEquals(BreakerState.OPEN, breaker.getState().state());
  }

  private void awaitState(BreakerState expected) {
    waitFor("the breaker " + expected).until(breaker::getState, status -> status.state() == expected);
  }
}
