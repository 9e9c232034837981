package io.steadfast.breaker;

import static io.steadfast.breaker.BreakerState.CLOSED;
import static io.steadfast.breaker.BreakerState.FORCED_OPEN;
import static io.steadfast.breaker.BreakerState.HALF_OPEN;
import static io.steadfast.breaker.BreakerState.OPEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BreakerMachineTest {
  private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");

  /** Only the consecutive rule: 5 failures open it; 30s, doubling, capped at 100s; 1 trial. */
  private static final BreakerSettings CONSECUTIVE =
      new BreakerSettings(5, 0, 20, 10, Duration.ofSeconds(30), 2.0, Duration.ofSeconds(100), 1, 20);

  private static Instant at(long seconds) {
    return T0.plusSeconds(seconds);
  }

  private static BreakerSettings rateOnly(int windowSize, int minimumCalls) {
    return new BreakerSettings(0, 50, windowSize, minimumCalls, Duration.ofSeconds(30), 2.0, Duration.ofMinutes(5), 1, 20);
  }

  private static BreakerSettings withTrials(int halfOpenMaxAttempts) {
    return new BreakerSettings(5, 0, 20, 10, Duration.ofSeconds(30), 2.0, Duration.ofSeconds(100), halfOpenMaxAttempts, 20);
  }

  private static BreakerStatus failures(BreakerStatus status, int count, Instant now, BreakerSettings settings) {
    for (int i = 0; i < count; i++) status = status.onFailure(now, settings);
    return status;
  }

  private static BreakerStatus successes(BreakerStatus status, int count, Instant now, BreakerSettings settings) {
    for (int i = 0; i < count; i++) status = status.onSuccess(now, settings);
    return status;
  }

  /** Opened at {@code now} by the consecutive rule. */
  private static BreakerStatus opened(Instant now, BreakerSettings settings) {
    return failures(BreakerStatus.closed(), settings.failureThreshold(), now, settings);
  }

  private static BreakerStatus halfOpened(Instant openedAt, BreakerSettings settings) {
    BreakerStatus open = opened(openedAt, settings);
    return open.advance(open.halfOpenAt(), settings);
  }

  private static Transition last(BreakerStatus status) {
    return status.transitions().get(status.transitions().size() - 1);
  }

  // --- the table ---------------------------------------------------------------------------

  @Test
  void theTableAllowsExactlyTheNineMovesAndRefusesEveryOtherPairNamingBothStates() {
    Map<BreakerState, Set<BreakerState>> allowed =
        Map.of(
            CLOSED, Set.of(OPEN, FORCED_OPEN),
            OPEN, Set.of(HALF_OPEN, CLOSED, FORCED_OPEN),
            HALF_OPEN, Set.of(CLOSED, OPEN, FORCED_OPEN),
            FORCED_OPEN, Set.of(CLOSED));
    int refused = 0;
    for (BreakerState from : BreakerState.values()) {
      for (BreakerState to : BreakerState.values()) {
        if (allowed.get(from).contains(to)) {
          assertTrue(from.canMoveTo(to), from + " -> " + to);
          assertEquals(to, from.moveTo(to));
        } else {
          assertFalse(from.canMoveTo(to), from + " -> " + to);
          IllegalStateException e = assertThrows(IllegalStateException.class, () -> from.moveTo(to));
          assertTrue(e.getMessage().contains(from.name()) && e.getMessage().contains(to.name()), e.getMessage());
          refused++;
        }
      }
    }
    assertEquals(7, refused);
  }

  // --- every allowed transition under its trigger --------------------------------------------

  @Test
  void theNaturalCycleRecordsEachMoveWithItsReasonAndTime() {
    BreakerStatus status = opened(at(5), CONSECUTIVE); // CLOSED -> OPEN
    assertEquals(new Transition(CLOSED, OPEN, at(5), "5 consecutive failures"), last(status));
    assertEquals(at(5), status.openedAt());
    assertEquals(at(35), status.halfOpenAt());

    assertSame(status, status.advance(at(34), CONSECUTIVE), "a second before the reset timeout");
    status = status.advance(at(40), CONSECUTIVE); // OPEN -> HALF_OPEN
    assertEquals(new Transition(OPEN, HALF_OPEN, at(40), "reset timeout 30s passed"), last(status));
    assertNull(status.halfOpenAt());
    assertEquals(at(5), status.openedAt());

    status = status.grantTrial(at(41), CONSECUTIVE).status().onFailure(at(42), CONSECUTIVE); // HALF_OPEN -> OPEN
    assertEquals(new Transition(HALF_OPEN, OPEN, at(42), "trial call failed; reset timeout now 1m"), last(status));
    assertEquals(at(102), status.halfOpenAt());

    status = status.grantTrial(at(102), CONSECUTIVE).status().onSuccess(at(103), CONSECUTIVE); // HALF_OPEN -> CLOSED
    assertEquals(new Transition(HALF_OPEN, CLOSED, at(103), "trial call succeeded"), last(status));
    assertEquals(
        List.of(CLOSED, OPEN, HALF_OPEN, OPEN, HALF_OPEN),
        status.transitions().stream().map(Transition::from).toList());
    assertEquals(BreakerStatus.closed(), withoutTransitions(status));
  }

  @Test
  void operatorsForceOpenFromEveryOtherStateAndResetFromEveryOpenOne() {
    BreakerSettings s = CONSECUTIVE;
    BreakerStatus closed = BreakerStatus.closed();
    BreakerStatus open = opened(at(0), s);
    BreakerStatus halfOpen = halfOpened(at(0), s);
    for (BreakerStatus from : List.of(closed, open, halfOpen)) {
      BreakerStatus forced = from.forceOpen(at(50), "downstream maintenance", s);
      assertEquals(new Transition(from.state(), FORCED_OPEN, at(50), "downstream maintenance"), last(forced));
      assertEquals(at(50), forced.openedAt());
      assertNull(forced.halfOpenAt());
    }
    BreakerStatus forced = closed.forceOpen(at(1), "maintenance", s);
    for (BreakerStatus from : List.of(open, halfOpen, forced)) {
      BreakerStatus reset = from.reset(at(60), "operator reset", s);
      assertEquals(new Transition(from.state(), CLOSED, at(60), "operator reset"), last(reset));
      assertEquals(BreakerStatus.closed(), withoutTransitions(reset));
    }
  }

  @Test
  void resettingAClosedBreakerClearsItsCountsWithoutRecordingATransition() {
    BreakerStatus status = failures(BreakerStatus.closed(), 3, at(1), CONSECUTIVE);
    BreakerStatus reset = status.reset(at(2), "operator reset", CONSECUTIVE);
    assertEquals(BreakerStatus.closed(), reset);
  }

  @Test
  void forcingAForcedBreakerKeepsTheFirstReasonAndTime() {
    BreakerStatus forced = BreakerStatus.closed().forceOpen(at(1), "first", CONSECUTIVE);
    assertSame(forced, forced.forceOpen(at(2), "second", CONSECUTIVE));
  }

  // --- consecutive rule ------------------------------------------------------------------------

  @Test
  void fourConsecutiveFailuresStayClosedTheFifthOpens() {
    BreakerStatus status = failures(BreakerStatus.closed(), 4, at(1), CONSECUTIVE);
    assertEquals(CLOSED, status.state());
    assertEquals(4, status.consecutiveFailures());

    status = status.onFailure(at(2), CONSECUTIVE);
    assertEquals(OPEN, status.state());
    assertEquals("5 consecutive failures", last(status).reason());
  }

  @Test
  void aSuccessInBetweenStartsTheCountAgain() {
    BreakerStatus status = failures(BreakerStatus.closed(), 4, at(1), CONSECUTIVE).onSuccess(at(2), CONSECUTIVE);
    assertEquals(0, status.consecutiveFailures());
    status = failures(status, 4, at(3), CONSECUTIVE);
    assertEquals(CLOSED, status.state());
    assertEquals(OPEN, status.onFailure(at(4), CONSECUTIVE).state());
  }

  // --- rate rule --------------------------------------------------------------------------------

  @Test
  void belowMinimumCallsEvenAllFailuresDoNotOpen() {
    BreakerSettings s = rateOnly(10, 5);
    BreakerStatus status = failures(BreakerStatus.closed(), 4, at(1), s);
    assertEquals(CLOSED, status.state());
    assertEquals(100, status.failureRatePercent());

    status = status.onFailure(at(2), s);
    assertEquals(OPEN, status.state());
    assertEquals("failure rate 100% over the last 5 calls (threshold 50%)", last(status).reason());
  }

  @Test
  void theWindowSlidesAndTheRateOpensExactlyAtTheThreshold() {
    BreakerSettings s = rateOnly(10, 10);
    BreakerStatus status = successes(failures(BreakerStatus.closed(), 4, at(1), s), 6, at(2), s);
    assertEquals(10, status.calls());
    assertEquals(40, status.failureRatePercent());

    status = successes(status.onFailure(at(3), s), 3, at(4), s); // the four oldest failures fall out
    assertEquals(List.of(false, false, false, false, false, false, true, false, false, false), status.window());
    assertEquals(1, status.failures());
    assertEquals(CLOSED, status.state());

    status = failures(status, 3, at(5), s);
    assertEquals(40, status.failureRatePercent());
    assertEquals(CLOSED, status.state());
    status = status.onFailure(at(6), s);
    assertEquals(OPEN, status.state());
    assertEquals(new Transition(CLOSED, OPEN, at(6), "failure rate 50% over the last 10 calls (threshold 50%)"), last(status));
  }

  @Test
  void aSuccessThatFillsTheMinimumCanOpenOnTheRate() {
    BreakerSettings s = rateOnly(10, 4);
    BreakerStatus status = failures(BreakerStatus.closed(), 3, at(1), s).onSuccess(at(2), s);
    assertEquals("failure rate 75% over the last 4 calls (threshold 50%)", last(status).reason());
  }

  // --- half-open -------------------------------------------------------------------------------

  @Test
  void onlyHalfOpenMaxAttemptsTrialsAreGrantedAndAllMustSucceedToClose() {
    BreakerSettings s = withTrials(2);
    BreakerStatus open = opened(at(0), s);

    TrialDecision early = open.grantTrial(at(29), s);
    assertFalse(early.granted());
    assertSame(open, early.status());

    TrialDecision first = open.grantTrial(at(30), s);
    assertTrue(first.granted());
    assertEquals(HALF_OPEN, first.status().state());
    TrialDecision second = first.status().grantTrial(at(31), s);
    assertTrue(second.granted());
    TrialDecision third = second.status().grantTrial(at(32), s);
    assertFalse(third.granted());
    assertEquals(at(32).plus(BreakerStatus.HALF_OPEN_RECHECK), third.status().deferUntil(at(32), s),
        "no time known until the trials answer: look again soon");

    BreakerStatus status = third.status().onSuccess(at(33), s);
    assertEquals(HALF_OPEN, status.state());
    assertEquals(1, status.trialsSucceeded());
    status = status.onSuccess(at(34), s);
    assertEquals(new Transition(HALF_OPEN, CLOSED, at(34), "all 2 trial calls succeeded"), last(status));
  }

  @Test
  void oneFailedTrialReopensEvenAfterOthersSucceeded() {
    BreakerSettings s = withTrials(2);
    BreakerStatus status = halfOpened(at(0), s);
    status = status.grantTrial(at(30), s).status().grantTrial(at(30), s).status();
    status = status.onSuccess(at(31), s).onFailure(at(32), s);
    assertEquals(OPEN, status.state());
    assertEquals(2, status.consecutiveOpenings());
  }

  @Test
  void eachReopeningGrowsTheResetTimeoutUpToTheCapAndACloseResetsTheGrowth() {
    BreakerSettings s = CONSECUTIVE; // 30s x 2 per re-opening, capped at 100s
    BreakerStatus status = opened(at(0), s);
    List<Duration> timeouts = new ArrayList<>();
    timeouts.add(Duration.between(status.openedAt(), status.halfOpenAt()));
    for (int i = 0; i < 3; i++) {
      status = status.grantTrial(status.halfOpenAt(), s).status().onFailure(status.halfOpenAt(), s);
      timeouts.add(Duration.between(status.openedAt(), status.halfOpenAt()));
    }
    assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(100), Duration.ofSeconds(100)), timeouts);
    assertEquals("trial call failed; reset timeout now 1m40s", last(status).reason());
    assertEquals(4, status.consecutiveOpenings());

    Instant later = status.halfOpenAt();
    status = status.grantTrial(later, s).status().onSuccess(later, s);
    assertEquals(0, status.consecutiveOpenings());
    status = failures(status, 5, later.plusSeconds(1), s);
    assertEquals(Duration.ofSeconds(30), Duration.between(status.openedAt(), status.halfOpenAt()));
  }

  @Test
  void aHalfOpenResultWithoutAnOutstandingTrialIsIgnored() {
    BreakerStatus halfOpen = halfOpened(at(0), CONSECUTIVE);
    assertSame(halfOpen, halfOpen.onSuccess(at(31), CONSECUTIVE));
    assertSame(halfOpen, halfOpen.onFailure(at(31), CONSECUTIVE));
  }

  // --- open and forced open ---------------------------------------------------------------------

  @Test
  void resultsArrivingWhileOpenOrForcedOpenDoNotMoveIt() {
    BreakerStatus open = opened(at(0), CONSECUTIVE);
    BreakerStatus forced = open.forceOpen(at(1), "maintenance", CONSECUTIVE);
    for (BreakerStatus status : List.of(open, forced)) {
      assertSame(status, status.onSuccess(at(2), CONSECUTIVE));
      assertSame(status, status.onFailure(at(2), CONSECUTIVE));
      assertSame(status, successes(status, 50, at(500), CONSECUTIVE), "not even after the reset timeout");
    }
  }

  @Test
  void forcedOpenNeverTurnsHalfOpenByTime() {
    BreakerStatus forced = opened(at(0), CONSECUTIVE).forceOpen(at(1), "maintenance", CONSECUTIVE);
    Instant yearLater = at(365L * 24 * 3600);
    assertSame(forced, forced.advance(yearLater, CONSECUTIVE));
    TrialDecision decision = forced.grantTrial(yearLater, CONSECUTIVE);
    assertFalse(decision.granted());
    assertSame(forced, decision.status());
    assertEquals(yearLater.plus(BreakerStatus.FORCED_OPEN_RECHECK), forced.deferUntil(yearLater, CONSECUTIVE),
        "no time known until a reset: look again now and then");
  }

  @Test
  void deferUntilSaysWhenAHeldBackTaskShouldLookAgain() {
    BreakerStatus open = opened(at(0), CONSECUTIVE);
    assertEquals(at(7), BreakerStatus.closed().deferUntil(at(7), CONSECUTIVE));
    assertEquals(at(30), open.deferUntil(at(7), CONSECUTIVE));
    assertEquals(at(31), open.advance(at(31), CONSECUTIVE).deferUntil(at(31), CONSECUTIVE), "a trial is free");
  }

  // --- bookkeeping ------------------------------------------------------------------------------

  @Test
  void theTransitionListKeepsOnlyTheMostRecent() {
    BreakerSettings s = new BreakerSettings(5, 0, 20, 10, Duration.ofSeconds(30), 2.0, Duration.ofMinutes(5), 1, 3);
    BreakerStatus status = BreakerStatus.closed();
    for (int i = 0; i < 5; i++) {
      status = status.forceOpen(at(2 * i), "force " + i, s).reset(at(2 * i + 1), "reset " + i, s);
    }
    assertEquals(
        List.of(
            new Transition(FORCED_OPEN, CLOSED, at(7), "reset 3"),
            new Transition(CLOSED, FORCED_OPEN, at(8), "force 4"),
            new Transition(FORCED_OPEN, CLOSED, at(9), "reset 4")),
        status.transitions());
  }

  /** What an event-sourced actor persists: the input and when it happened. */
  private record Input(String kind, Instant at) {}

  private static BreakerStatus replay(List<Input> inputs, BreakerSettings s) {
    BreakerStatus status = BreakerStatus.closed();
    for (Input input : inputs) {
      status =
          switch (input.kind()) {
            case "success" -> status.onSuccess(input.at(), s);
            case "failure" -> status.onFailure(input.at(), s);
            case "tick" -> status.advance(input.at(), s);
            case "trial" -> status.grantTrial(input.at(), s).status();
            case "force" -> status.forceOpen(input.at(), "operator", s);
            case "reset" -> status.reset(input.at(), "operator", s);
            default -> throw new IllegalArgumentException(input.kind());
          };
    }
    return status;
  }

  @Test
  void replayingTheSameInputsGivesAnEqualStatus() {
    List<Input> inputs = new ArrayList<>();
    String[] script = {
      "success", "failure", "failure", "failure", "failure", "failure", "failure", "tick", "trial",
      "failure", "tick", "trial", "success", "failure", "force", "success", "reset", "failure"
    };
    for (int i = 0; i < script.length; i++) inputs.add(new Input(script[i], at(17L * i).plusNanos(i)));
    BreakerSettings s = withTrials(1);

    BreakerStatus once = replay(inputs, s);
    BreakerStatus twice = replay(List.copyOf(inputs), s);
    assertEquals(once, twice);
    assertEquals(once.hashCode(), twice.hashCode());
    assertEquals(5, once.transitions().size());
  }

  // --- serialization ----------------------------------------------------------------------------

  private static BreakerStatus busyStatus() {
    BreakerSettings s = withTrials(3);
    BreakerStatus status = halfOpened(at(0).plusNanos(123_456_789), s);
    return status.grantTrial(at(40), s).status().onSuccess(at(41).plusNanos(7), s);
  }

  @Test
  void statusSettingsAndDecisionsSurviveAJacksonRoundTripInJsonAndCbor() throws Exception {
    for (ObjectMapper mapper : List.of(new ObjectMapper(), new ObjectMapper(new CBORFactory()))) {
      mapper.registerModule(new JavaTimeModule());
      BreakerStatus status = busyStatus();
      for (BreakerStatus each : List.of(status, opened(at(0).plusNanos(1), CONSECUTIVE), BreakerStatus.closed())) {
        assertEquals(each, mapper.readValue(mapper.writeValueAsBytes(each), BreakerStatus.class));
      }
      for (BreakerSettings settings : List.of(BreakerSettings.DEFAULTS, CONSECUTIVE, rateOnly(7, 3))) {
        assertEquals(settings, mapper.readValue(mapper.writeValueAsBytes(settings), BreakerSettings.class));
      }
      TrialDecision decision = new TrialDecision(true, status);
      assertEquals(decision, mapper.readValue(mapper.writeValueAsBytes(decision), TrialDecision.class));
    }
  }

  @Test
  void onlyTheRecordComponentsAreWritten() throws Exception {
    ObjectMapper mapper = new ObjectMapper().registerModule(new JavaTimeModule());
    Set<String> written = new HashSet<>();
    mapper.readTree(mapper.writeValueAsString(busyStatus())).fieldNames().forEachRemaining(written::add);
    assertEquals(
        Set.of(
            "state", "consecutiveFailures", "window", "openedAt", "halfOpenAt", "consecutiveOpenings",
            "trialsGranted", "trialsSucceeded", "transitions"),
        written);
  }

  private static BreakerStatus withoutTransitions(BreakerStatus status) {
    return new BreakerStatus(
        status.state(),
        status.consecutiveFailures(),
        status.window(),
        status.openedAt(),
        status.halfOpenAt(),
        status.consecutiveOpenings(),
        status.trialsGranted(),
        status.trialsSucceeded(),
        List.of());
  }
}
