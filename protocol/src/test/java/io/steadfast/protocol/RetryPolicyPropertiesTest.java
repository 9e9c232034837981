package io.steadfast.protocol;

import static io.steadfast.protocol.RetryPolicy.MAX_DELAY_LIMIT_MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.steadfast.protocol.RetryPolicy.Jitter;
import io.steadfast.protocol.RetryPolicy.Strategy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

/** Properties of the delays of valid policies, for every strategy and jitter (run by jqwik). */
class RetryPolicyPropertiesTest {

  @Provide
  Arbitrary<RetryPolicy> policies() {
    Arbitrary<Long> delays =
        Arbitraries.longs().between(0, MAX_DELAY_LIMIT_MS).withDistribution(RandomDistribution.biased());
    return Combinators.combine(
            Arbitraries.of(Strategy.class),
            delays,
            Arbitraries.doubles().between(1.0, 100.0),
            delays,
            Arbitraries.of(Jitter.class),
            Arbitraries.doubles().between(0.0, 1.0),
            Arbitraries.integers().between(1, RetryPolicy.MAX_ATTEMPTS_LIMIT))
        .as(
            (strategy, a, multiplier, b, jitter, factor, attempts) ->
                new RetryPolicy(
                    strategy, Math.min(a, b), multiplier, Math.max(a, b), jitter, factor, attempts));
  }

  @Provide
  Arbitrary<Integer> attempts() {
    return Arbitraries.integers()
        .between(1, Integer.MAX_VALUE)
        .withDistribution(RandomDistribution.biased());
  }

  @Property
  void everyDelayIsWithinZeroAndTheCap(
      @ForAll("policies") RetryPolicy policy,
      @ForAll("attempts") int attempt,
      @ForAll @LongRange(min = 0, max = MAX_DELAY_LIMIT_MS) long previous,
      @ForAll long seed) {
    Statistics.label("strategy × jitter").collect(policy.strategy(), policy.jitter());
    Statistics.label("strategy × jitter")
        .coverage(
            coverage -> {
              for (Strategy strategy : Strategy.values())
                for (Jitter jitter : Jitter.values())
                  coverage.check(strategy, jitter).count(n -> n > 0);
            });
    long base = policy.baseDelayAfterAttemptMs(attempt);
    long delay = policy.delayAfterAttemptMs(attempt, previous, new SplittableRandom(seed));
    assertTrue(base >= 0 && base <= policy.maxDelayMs(), "base " + base);
    assertTrue(delay >= 0 && delay <= policy.maxDelayMs(), "delay " + delay);
  }

  @Property
  void hugeAttemptNumbersReachTheCapAndStayThere(
      @ForAll("policies") RetryPolicy policy,
      @ForAll @IntRange(min = 700_000_000, max = Integer.MAX_VALUE) int attempt,
      @ForAll long seed) {
    Assume.that(policy.strategy() != Strategy.FIXED && policy.initialDelayMs() >= 1);
    Assume.that(policy.strategy() != Strategy.EXPONENTIAL || policy.multiplier() >= 1.001);
    assertEquals(policy.maxDelayMs(), policy.baseDelayAfterAttemptMs(attempt));
    long delay = policy.delayAfterAttemptMs(attempt, policy.maxDelayMs(), new SplittableRandom(seed));
    assertTrue(delay >= 0 && delay <= policy.maxDelayMs(), "delay " + delay);
  }

  @Property
  void exponentialWithoutJitterGrowsByExactlyTheMultiplierUntilTheCap(
      @ForAll @LongRange(min = 1, max = 10_000) long initial,
      @ForAll @IntRange(min = 1, max = 10) int multiplier,
      @ForAll @LongRange(min = 0, max = MAX_DELAY_LIMIT_MS) long capAboveInitial) {
    long cap = Math.min(MAX_DELAY_LIMIT_MS, initial + capAboveInitial);
    RetryPolicy policy =
        new RetryPolicy(Strategy.EXPONENTIAL, initial, multiplier, cap, Jitter.NONE, 0.0, 10);
    assertEquals(initial, policy.baseDelayAfterAttemptMs(1));
    for (int n = 1; n < 60; n++) {
      long previous = policy.baseDelayAfterAttemptMs(n);
      long next = policy.baseDelayAfterAttemptMs(n + 1);
      assertEquals(Math.min(cap, previous * multiplier), next, "after attempt " + n);
      assertEquals(next, policy.delayAfterAttemptMs(n + 1, previous, new SplittableRandom()));
    }
  }

  @Property
  void exponentialGrowsByAnyMultiplierToTheMillisecond(
      @ForAll @LongRange(min = 0, max = 10_000) long initial,
      @ForAll @DoubleRange(min = 1.0, max = 100.0) double multiplier,
      @ForAll @IntRange(min = 1, max = 200) int attempt) {
    RetryPolicy policy =
        new RetryPolicy(
            Strategy.EXPONENTIAL, initial, multiplier, MAX_DELAY_LIMIT_MS, Jitter.NONE, 0.0, 10);
    long previous = policy.baseDelayAfterAttemptMs(attempt);
    long next = policy.baseDelayAfterAttemptMs(attempt + 1);
    // Both delays are rounded down to whole milliseconds: the previous one lost under 1 ms, which
    // the multiplier grows to under `multiplier` ms, and pow() adds its own rounding on top.
    assertTrue(
        Math.abs(next - Math.min(MAX_DELAY_LIMIT_MS, previous * multiplier)) <= multiplier + 1,
        previous + " then " + next);
  }

  @Property
  void linearIsInitialTimesTheAttemptNumber(
      @ForAll("policies") RetryPolicy any, @ForAll("attempts") int attempt) {
    RetryPolicy policy = with(any, Strategy.LINEAR, Jitter.NONE, 0.0);
    long expected = Math.min(policy.maxDelayMs(), policy.initialDelayMs() * attempt);
    assertEquals(expected, policy.baseDelayAfterAttemptMs(attempt));
    assertEquals(expected, policy.delayAfterAttemptMs(attempt, 0, new SplittableRandom()));
  }

  @Property
  void fixedIsConstant(@ForAll("policies") RetryPolicy any, @ForAll("attempts") int attempt) {
    RetryPolicy policy = with(any, Strategy.FIXED, Jitter.NONE, 0.0);
    assertEquals(policy.initialDelayMs(), policy.baseDelayAfterAttemptMs(attempt));
    assertEquals(
        policy.initialDelayMs(), policy.delayAfterAttemptMs(attempt, 0, new SplittableRandom()));
  }

  @Property
  void fullJitterIsWithinZeroAndTheBase(
      @ForAll("policies") RetryPolicy any, @ForAll("attempts") int attempt, @ForAll long seed) {
    RetryPolicy policy = with(any, any.strategy(), Jitter.FULL, 0.0);
    long base = policy.baseDelayAfterAttemptMs(attempt);
    long delay = policy.delayAfterAttemptMs(attempt, 0, new SplittableRandom(seed));
    assertTrue(delay >= 0 && delay <= base, delay + " for base " + base);
  }

  @Property
  void equalJitterIsWithinHalfTheBaseAndTheBase(
      @ForAll("policies") RetryPolicy any, @ForAll("attempts") int attempt, @ForAll long seed) {
    RetryPolicy policy = with(any, any.strategy(), Jitter.EQUAL, 0.0);
    long base = policy.baseDelayAfterAttemptMs(attempt);
    long delay = policy.delayAfterAttemptMs(attempt, 0, new SplittableRandom(seed));
    assertTrue(delay >= base / 2 && delay <= base, delay + " for base " + base);
  }

  @Property
  void decorrelatedJitterIsWithinInitialAndThreeTimesThePreviousDelay(
      @ForAll("policies") RetryPolicy any,
      @ForAll("attempts") int attempt,
      @ForAll @LongRange(min = 0, max = MAX_DELAY_LIMIT_MS) long previous,
      @ForAll long seed) {
    RetryPolicy policy = with(any, any.strategy(), Jitter.DECORRELATED, 0.0);
    // No previous delay (0) counts as the initial delay.
    long upper = Math.min(policy.maxDelayMs(), 3 * Math.max(previous, policy.initialDelayMs()));
    long delay = policy.delayAfterAttemptMs(attempt, previous, new SplittableRandom(seed));
    assertTrue(
        delay >= policy.initialDelayMs() && delay <= upper,
        delay + " for previous " + previous + " in " + policy);
  }

  @Property
  void jitterFactorKeepsTheDelayWithinTheFactorOfTheBase(
      @ForAll("policies") RetryPolicy any, @ForAll("attempts") int attempt, @ForAll long seed) {
    RetryPolicy policy = with(any, any.strategy(), Jitter.NONE, any.jitterFactor());
    double f = policy.jitterFactor();
    long base = policy.baseDelayAfterAttemptMs(attempt);
    long delay = policy.delayAfterAttemptMs(attempt, 0, new SplittableRandom(seed));
    // 1 ms below for rounding down to whole milliseconds; the cap may only lower the delay.
    assertTrue(delay >= base * (1 - f) - 1, delay + " for base " + base + " ± " + f);
    assertTrue(delay <= Math.min(policy.maxDelayMs(), base * (1 + f)), delay + " for " + base);
  }

  @Property(tries = 100)
  void jitterSpreadsTheDelays(
      @ForAll Strategy strategy,
      @ForAll Jitter jitter,
      @ForAll @LongRange(min = 101, max = 100_000) long initial,
      @ForAll @DoubleRange(min = 0.1, max = 1.0) double factor,
      @ForAll @IntRange(min = 1, max = 3) int attempt,
      @ForAll long seed) {
    // Without jitter, the factor alone spreads the delays.
    double jitterFactor = jitter == Jitter.NONE ? factor : 0.0;
    RetryPolicy policy =
        new RetryPolicy(strategy, initial, 2.0, 10 * initial, jitter, jitterFactor, 10);
    SplittableRandom random = new SplittableRandom(seed);
    Set<Long> distinct = new HashSet<>();
    for (int i = 0; i < 200; i++) distinct.add(policy.delayAfterAttemptMs(attempt, initial, random));
    assertTrue(distinct.size() > 10, distinct.size() + " distinct delays from " + policy);
  }

  @Property
  void theSameSeedGivesTheSameDelays(@ForAll("policies") RetryPolicy policy, @ForAll long seed) {
    assertEquals(delays(policy, seed), delays(policy, seed));
  }

  /** The delays after each failed attempt, each grown from the one before. */
  private static List<Long> delays(RetryPolicy policy, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Long> delays = new ArrayList<>();
    long previous = 0;
    for (int attempt = 1; attempt <= 20; attempt++) {
      previous = policy.delayAfterAttemptMs(attempt, previous, random);
      delays.add(previous);
    }
    return delays;
  }

  private static RetryPolicy with(RetryPolicy p, Strategy strategy, Jitter jitter, double factor) {
    return new RetryPolicy(
        strategy, p.initialDelayMs(), p.multiplier(), p.maxDelayMs(), jitter, factor, p.maxAttempts());
  }
}
