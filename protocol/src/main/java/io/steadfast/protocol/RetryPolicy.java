package io.steadfast.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * When to try a failed task again, and how many times in all. Immutable; build one with the
 * canonical constructor and check it with {@link #problems()} before use.
 *
 * @param strategy how the delay grows from one failed attempt to the next
 * @param initialDelayMs the delay after the first failed attempt
 * @param multiplier growth factor for {@link Strategy#EXPONENTIAL}; ignored otherwise
 * @param maxDelayMs no computed delay exceeds this
 * @param maxAttempts attempts in all, the first included
 */
public record RetryPolicy(
    Strategy strategy, long initialDelayMs, double multiplier, long maxDelayMs, int maxAttempts)
    implements CborSerializable {

  public enum Strategy {
    FIXED,
    LINEAR,
    EXPONENTIAL;

    /** Parses the lower-case name used in config and on the API. */
    @JsonCreator
    public static Strategy parse(String name) {
      try {
        return valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "strategy must be one of fixed, linear, exponential but was '" + name + "'");
      }
    }

    /** The lower-case name used in config and on the API. */
    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final int MAX_ATTEMPTS_LIMIT = 1000;
  public static final long MAX_DELAY_LIMIT_MS = 7L * 24 * 3600 * 1000;

  /**
   * Everything wrong with this policy, each naming the field, the allowed range and the value
   * given; empty when the policy is valid.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (strategy == null) problems.add("strategy must be one of fixed, linear, exponential");
    if (initialDelayMs < 0 || initialDelayMs > MAX_DELAY_LIMIT_MS)
      problems.add(range("initialDelayMs", 0, MAX_DELAY_LIMIT_MS, initialDelayMs));
    if (maxDelayMs < 0 || maxDelayMs > MAX_DELAY_LIMIT_MS)
      problems.add(range("maxDelayMs", 0, MAX_DELAY_LIMIT_MS, maxDelayMs));
    if (!(multiplier >= 1.0 && multiplier <= 100.0))
      problems.add("multiplier must be between 1.0 and 100.0 but was " + multiplier);
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT)
      problems.add(range("maxAttempts", 1, MAX_ATTEMPTS_LIMIT, maxAttempts));
    return problems;
  }

  /**
   * The delay before the next attempt, after attempt number {@code failedAttempt} (1-based)
   * failed. Never negative, never above {@link #maxDelayMs}.
   */
  public long delayAfterAttemptMs(int failedAttempt, long previousDelayMs, java.util.random.RandomGenerator random) {
    int n = Math.max(1, failedAttempt);
    double delay =
        switch (strategy) {
          case FIXED -> initialDelayMs;
          case LINEAR -> (double) initialDelayMs * n;
          case EXPONENTIAL -> initialDelayMs * Math.pow(multiplier, n - 1);
        };
    return (long) Math.min(delay, maxDelayMs);
  }

  private static String range(String field, long min, long max, long value) {
    return field + " must be between " + min + " and " + max + " but was " + value;
  }
}
