package io.steadfast.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * When to try a failed task again, and how many times in all. Immutable; build one with the
 * canonical constructor and check it with {@link #problems()} before use.
 *
 * <p>Jitter follows the AWS architecture blog post "Exponential Backoff And Jitter": spreading
 * retries out in time keeps many tasks that failed together from retrying together.
 *
 * @param strategy how the delay grows from one failed attempt to the next
 * @param initialDelayMs the delay after the first failed attempt
 * @param multiplier growth factor for {@link Strategy#EXPONENTIAL}; ignored otherwise
 * @param maxDelayMs no computed delay exceeds this
 * @param jitter how the delay is randomised; {@code null} reads as {@link Jitter#NONE}, so
 *     journal entries written before jitter existed replay as they were
 * @param jitterFactor after the jitter, the delay is multiplied by {@code 1 + uniform(-f, +f)};
 *     0 leaves it as it is
 * @param maxAttempts attempts in all, the first included
 */
public record RetryPolicy(
    Strategy strategy,
    long initialDelayMs,
    double multiplier,
    long maxDelayMs,
    Jitter jitter,
    double jitterFactor,
    int maxAttempts)
    implements CborSerializable {

  /** How the un-jittered delay grows with the number of failed attempts. */
  public enum Strategy {
    FIXED,
    LINEAR,
    EXPONENTIAL;

    /** Parses the lower-case name used in config and on the API. */
    @JsonCreator
    public static Strategy parse(String name) {
      return parseWireName(Strategy.class, "strategy", name);
    }

    /** The lower-case name used in config and on the API. */
    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How the delay is randomised, as named in "Exponential Backoff And Jitter". */
  public enum Jitter {
    /** The base delay as it is. */
    NONE,
    /** Uniform in [0, base]. */
    FULL,
    /** Half the base plus uniform in [0, base / 2]. */
    EQUAL,
    /** Uniform in [initial, 3 × previous delay], capped; ignores the strategy's base delay. */
    DECORRELATED;

    /** Parses the lower-case name used in config and on the API. */
    @JsonCreator
    public static Jitter parse(String name) {
      return parseWireName(Jitter.class, "jitter", name);
    }

    /** The lower-case name used in config and on the API. */
    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The most attempts a policy may allow: a task that fails this often will not succeed. */
  public static final int MAX_ATTEMPTS_LIMIT = 1000;

  /** The longest delay a policy may give, a week: longer waits are better left to the client. */
  public static final long MAX_DELAY_LIMIT_MS = 7L * 24 * 3600 * 1000;

  /** Reads a missing jitter as none: see {@link #jitter()}. */
  public RetryPolicy {
    if (jitter == null) jitter = Jitter.NONE;
  }

  /**
   * Everything wrong with this policy, each naming the field, the allowed range and the value
   * given; empty when the policy is valid.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (strategy == null)
      problems.add("strategy must be one of " + wireNames(Strategy.class) + " but was null");
    if (initialDelayMs < 0 || initialDelayMs > MAX_DELAY_LIMIT_MS)
      problems.add(range("initialDelayMs", 0, MAX_DELAY_LIMIT_MS, initialDelayMs));
    if (!(multiplier >= 1.0 && multiplier <= 100.0))
      problems.add(range("multiplier", 1.0, 100.0, multiplier));
    if (maxDelayMs < 0 || maxDelayMs > MAX_DELAY_LIMIT_MS)
      problems.add(range("maxDelayMs", 0, MAX_DELAY_LIMIT_MS, maxDelayMs));
    if (maxDelayMs < initialDelayMs)
      problems.add(
          "maxDelayMs must be >= initialDelayMs (" + initialDelayMs + ") but was " + maxDelayMs);
    if (!(jitterFactor >= 0.0 && jitterFactor <= 1.0))
      problems.add(range("jitterFactor", 0.0, 1.0, jitterFactor));
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT)
      problems.add(range("maxAttempts", 1, MAX_ATTEMPTS_LIMIT, maxAttempts));
    return problems;
  }

  /**
   * The delay before the next attempt, after attempt number {@code failedAttempt} (1-based)
   * failed, with the jitter applied. The result depends only on the arguments and the numbers
   * drawn from {@code random}, so a seeded generator gives the same delays again; the caller
   * persists the result, and replay never calls this. Never negative, never above {@link
   * #maxDelayMs}.
   *
   * @param previousDelayMs the delay actually used before the failed attempt, which {@link
   *     Jitter#DECORRELATED} grows from; pass 0 when there was none (a value below {@link
   *     #initialDelayMs} counts as {@code initialDelayMs})
   * @param random the source of the jitter; not drawn from when there is none
   */
  public long delayAfterAttemptMs(int failedAttempt, long previousDelayMs, RandomGenerator random) {
    long base = baseDelayAfterAttemptMs(failedAttempt);
    double delay =
        switch (jitter) {
          case NONE -> base;
          case FULL -> uniform(random, 0, base);
          case EQUAL -> base / 2.0 + uniform(random, 0, base / 2.0);
          case DECORRELATED -> Math.min(
              maxDelayMs,
              uniform(random, initialDelayMs, 3.0 * Math.max(previousDelayMs, initialDelayMs)));
        };
    delay *= 1 + uniform(random, -jitterFactor, jitterFactor);
    return (long) Math.max(0, Math.min(delay, maxDelayMs));
  }

  /**
   * The delay after attempt number {@code failedAttempt} (1-based) failed, before any jitter:
   * what the strategy alone gives, capped at {@link #maxDelayMs}. For display and tests; the
   * delay to wait is {@link #delayAfterAttemptMs(int, long, RandomGenerator)}.
   */
  public long baseDelayAfterAttemptMs(int failedAttempt) {
    int n = Math.max(1, failedAttempt);
    double delay =
        switch (strategy) {
          case FIXED -> initialDelayMs;
          case LINEAR -> (double) initialDelayMs * n;
          // multiplier^(n-1) may be infinite for a big n, and 0 × infinity is NaN.
          case EXPONENTIAL -> initialDelayMs == 0 ? 0 : initialDelayMs * Math.pow(multiplier, n - 1);
        };
    return (long) Math.max(0, Math.min(delay, maxDelayMs));
  }

  /** Uniform in [min, max); {@code min} without drawing when the interval is empty. */
  private static double uniform(RandomGenerator random, double min, double max) {
    return max > min ? random.nextDouble(min, max) : min;
  }

  /** The one wording of an out-of-range message, shared with {@link RetryPolicyOverrides}. */
  static String range(String field, Object min, Object max, Object value) {
    return field + " must be between " + min + " and " + max + " but was " + value;
  }

  private static <E extends Enum<E>> E parseWireName(Class<E> type, String field, String name) {
    try {
      return Enum.valueOf(type, String.valueOf(name).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          field + " must be one of " + wireNames(type) + " but was '" + name + "'");
    }
  }

  private static String wireNames(Class<? extends Enum<?>> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
  }
}
