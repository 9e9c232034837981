package io.steadfast.breaker;

import static io.steadfast.breaker.BreakerState.CLOSED;
import static io.steadfast.breaker.BreakerState.FORCED_OPEN;
import static io.steadfast.breaker.BreakerState.HALF_OPEN;
import static io.steadfast.breaker.BreakerState.OPEN;

import io.steadfast.protocol.CborSerializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The state of one task type's circuit breaker, and the rules that move it. Every method is a
 * pure function of this status, its input and the {@code now} passed in: nothing reads a clock
 * and nothing is mutated. An event-sourced actor can therefore persist the inputs with their
 * times and replay them through these methods to land on an equal status. The settings are an
 * input too (they fix the window, the thresholds and when an opening ends): a replay must use the
 * ones in force when the inputs happened, or it may land elsewhere.
 *
 * <p>The counters and the window that opened the breaker stay visible while it is open or half
 * open (they explain the opening); any move to CLOSED clears them.
 *
 * @param state where the breaker stands
 * @param consecutiveFailures failures since the last success, counted while CLOSED
 * @param window results of the last calls while CLOSED, oldest first, {@code true} = failure;
 *     never longer than the sliding window
 * @param openedAt when the breaker last opened or was forced open; null while CLOSED
 * @param halfOpenAt when an OPEN breaker turns HALF_OPEN; null in every other state
 * @param consecutiveOpenings openings since the last close, which grow the reset timeout
 * @param trialsGranted trial attempts let through since turning HALF_OPEN
 * @param trialsSucceeded of those, how many succeeded
 * @param transitions the most recent state changes, oldest first
 */
public record BreakerStatus(
    BreakerState state,
    int consecutiveFailures,
    List<Boolean> window,
    Instant openedAt,
    Instant halfOpenAt,
    int consecutiveOpenings,
    int trialsGranted,
    int trialsSucceeded,
    List<Transition> transitions)
    implements CborSerializable {

  /** A forced-open breaker stays open until an operator resets it: held-back tasks look this often. */
  public static final Duration FORCED_OPEN_RECHECK = Duration.ofSeconds(5);

  /** Trials of a half-open breaker answer within seconds: the tasks they hold back look this often. */
  public static final Duration HALF_OPEN_RECHECK = Duration.ofSeconds(1);

  public BreakerStatus {
    Objects.requireNonNull(state, "state");
    window = List.copyOf(window);
    transitions = List.copyOf(transitions);
  }

  /** A breaker that has seen nothing yet. */
  public static BreakerStatus closed() {
    return closedWith(List.of());
  }

  /** Calls in the window. */
  public int calls() {
    return window.size();
  }

  /** Failures in the window. */
  public int failures() {
    return (int) window.stream().filter(failed -> failed).count();
  }

  /**
   * Failures in the window as a whole percent, rounded down (0 for an empty window). Rounding
   * down cannot change a comparison with a whole-percent threshold.
   */
  public int failureRatePercent() {
    return calls() == 0 ? 0 : failures() * 100 / calls();
  }

  /**
   * Counts a call's result. While CLOSED it may open the breaker by either rule. While OPEN or
   * FORCED_OPEN no attempt is let through, so any result arriving belongs to an attempt that
   * started before the opening and is ignored. While HALF_OPEN a result counts only while a
   * granted trial is still unanswered, so a late result from before the opening cannot close the
   * breaker without trials; the caller should pass only its trials' results in that state, since
   * nothing here can tell one result from another.
   */
  public BreakerStatus onSuccess(Instant now, BreakerSettings settings) {
    return onResult(false, now, settings);
  }

  /** See {@link #onSuccess}. */
  public BreakerStatus onFailure(Instant now, BreakerSettings settings) {
    return onResult(true, now, settings);
  }

  private BreakerStatus onResult(boolean failure, Instant now, BreakerSettings settings) {
    return switch (state) {
      case CLOSED -> counted(failure, settings).openIfOverThreshold(now, settings);
      case HALF_OPEN -> trialsSucceeded < trialsGranted ? trialResult(failure, now, settings) : this;
      case OPEN, FORCED_OPEN -> this;
    };
  }

  /** Adds a result, trimming the window to the setting (so a window shrunk in config takes effect). */
  private BreakerStatus counted(boolean failure, BreakerSettings settings) {
    List<Boolean> results = new ArrayList<>(window);
    results.add(failure);
    return new BreakerStatus(
        state,
        failure ? consecutiveFailures + 1 : 0,
        lastN(results, settings.slidingWindowSize()),
        openedAt,
        halfOpenAt,
        consecutiveOpenings,
        trialsGranted,
        trialsSucceeded,
        transitions);
  }

  /** Either rule opens the breaker; the reason gives the rule and its numbers. */
  private BreakerStatus openIfOverThreshold(Instant now, BreakerSettings settings) {
    if (settings.failureThreshold() > 0 && consecutiveFailures >= settings.failureThreshold()) {
      return transition(OPEN, now, consecutiveFailures + " consecutive failures", settings);
    }
    if (settings.failureRateThreshold() > 0
        && calls() >= settings.minimumCalls()
        && failureRatePercent() >= settings.failureRateThreshold()) {
      String reason =
          "failure rate " + failureRatePercent() + "% over the last " + calls()
              + " calls (threshold " + settings.failureRateThreshold() + "%)";
      return transition(OPEN, now, reason, settings);
    }
    return this;
  }

  private BreakerStatus trialResult(boolean failure, Instant now, BreakerSettings settings) {
    if (failure) {
      Duration next = settings.resetTimeoutAfter(consecutiveOpenings + 1);
      return transition(OPEN, now, "trial call failed; reset timeout now " + BreakerSettings.text(next), settings);
    }
    int succeeded = trialsSucceeded + 1;
    BreakerStatus counted = withTrials(trialsGranted, succeeded);
    if (succeeded < settings.halfOpenMaxAttempts()) return counted;
    String reason = succeeded == 1 ? "trial call succeeded" : "all " + succeeded + " trial calls succeeded";
    return counted.transition(CLOSED, now, reason, settings);
  }

  /** Time passes: an OPEN breaker whose reset timeout has run out turns HALF_OPEN. */
  public BreakerStatus advance(Instant now, BreakerSettings settings) {
    if (state != OPEN || now.isBefore(halfOpenAt)) return this;
    String waited = BreakerSettings.text(Duration.between(openedAt, halfOpenAt));
    return transition(HALF_OPEN, now, "reset timeout " + waited + " passed", settings);
  }

  /**
   * Asks to let one trial attempt through, after letting time pass. Only a HALF_OPEN breaker
   * grants, and no more than {@code halfOpenMaxAttempts} trials until the results decide.
   */
  public TrialDecision grantTrial(Instant now, BreakerSettings settings) {
    BreakerStatus current = advance(now, settings);
    if (current.state != HALF_OPEN || current.trialsGranted >= settings.halfOpenMaxAttempts()) {
      return new TrialDecision(false, current);
    }
    return new TrialDecision(true, current.withTrials(current.trialsGranted + 1, current.trialsSucceeded));
  }

  /**
   * Closes the breaker with every count and the timeout growth cleared, from any state. Resetting
   * a breaker that is already CLOSED only clears its counts: it records no transition, since
   * nothing changed state and CLOSED to CLOSED is no move.
   */
  public BreakerStatus reset(Instant now, String reason, BreakerSettings settings) {
    return state == CLOSED ? closedWith(transitions) : transition(CLOSED, now, reason, settings);
  }

  /**
   * Holds the breaker open until {@link #reset}; time never turns it half-open. Forcing a breaker
   * that is already FORCED_OPEN changes nothing, so the first reason and time stay on record.
   */
  public BreakerStatus forceOpen(Instant now, String reason, BreakerSettings settings) {
    return state == FORCED_OPEN ? this : transition(FORCED_OPEN, now, reason, settings);
  }

  /**
   * When a task held back by this breaker should look again: {@code now} if it may go ahead (or
   * ask for a trial), when the reset timeout runs out if OPEN. Where no time is known, it looks
   * again after a while: FORCED_OPEN (until a reset) after {@link #FORCED_OPEN_RECHECK}, HALF_OPEN
   * with every trial out (until their results) after {@link #HALF_OPEN_RECHECK}.
   */
  public Instant deferUntil(Instant now, BreakerSettings settings) {
    return switch (state) {
      case CLOSED -> now;
      case OPEN -> halfOpenAt;
      case HALF_OPEN -> trialsGranted < settings.halfOpenMaxAttempts() ? now : now.plus(HALF_OPEN_RECHECK);
      case FORCED_OPEN -> now.plus(FORCED_OPEN_RECHECK);
    };
  }

  /**
   * The one place the state changes: refuses a move the table does not allow, records it
   * (keeping the last {@code transitionsKept}) and sets the fields the new state starts with.
   */
  private BreakerStatus transition(BreakerState to, Instant now, String reason, BreakerSettings settings) {
    List<Transition> recorded = new ArrayList<>(transitions);
    recorded.add(new Transition(state, state.moveTo(to), now, reason));
    List<Transition> kept = lastN(recorded, settings.transitionsKept());
    return switch (to) {
      case CLOSED -> closedWith(kept);
      case OPEN -> {
        int openings = consecutiveOpenings + 1;
        Instant halfOpen = now.plus(settings.resetTimeoutAfter(openings));
        yield new BreakerStatus(OPEN, consecutiveFailures, window, now, halfOpen, openings, 0, 0, kept);
      }
      case HALF_OPEN ->
          new BreakerStatus(HALF_OPEN, consecutiveFailures, window, openedAt, null, consecutiveOpenings, 0, 0, kept);
      case FORCED_OPEN ->
          new BreakerStatus(FORCED_OPEN, consecutiveFailures, window, now, null, consecutiveOpenings, 0, 0, kept);
    };
  }

  private BreakerStatus withTrials(int granted, int succeeded) {
    return new BreakerStatus(
        state, consecutiveFailures, window, openedAt, halfOpenAt, consecutiveOpenings, granted, succeeded, transitions);
  }

  private static BreakerStatus closedWith(List<Transition> transitions) {
    return new BreakerStatus(CLOSED, 0, List.of(), null, null, 0, 0, 0, transitions);
  }

  private static <T> List<T> lastN(List<T> list, int n) {
    return list.subList(Math.max(0, list.size() - n), list.size());
  }
}
