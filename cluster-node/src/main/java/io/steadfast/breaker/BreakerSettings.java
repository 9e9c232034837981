package io.steadfast.breaker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.steadfast.protocol.CborSerializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * When a task type's circuit breaker opens and how it recovers. Invalid values are refused when
 * the record is built, so a {@link BreakerStatus} never runs on settings it cannot honour; the
 * messages name the setting by its config key.
 *
 * <p>In config (the values of {@link #DEFAULTS}):
 *
 * <pre>
 * failure-threshold = 5           # consecutive failures that open it; 0 = rule off (0..1000)
 * failure-rate-threshold = 50     # percent of failures in the window that opens it; 0 = off (0..100)
 * sliding-window-size = 20        # the last N calls the rate is taken over (1..1000)
 * minimum-calls = 10              # no rate verdict on fewer calls (1..sliding-window-size)
 * reset-timeout = 30s             # open this long before trial attempts (1ms..7d)
 * reset-timeout-multiplier = 2.0  # growth per consecutive re-opening; 1.0 = constant (1.0..100.0)
 * max-reset-timeout = 5m          # the growth stops here (reset-timeout..7d)
 * half-open-max-attempts = 1      # trial attempts, all of which must succeed to close (1..1000)
 * transitions-kept = 20           # recent transitions kept for operators (1..1000)
 * </pre>
 *
 * At least one of the two thresholds must be on; either of them opens the breaker.
 */
public record BreakerSettings(
    int failureThreshold,
    int failureRateThreshold,
    int slidingWindowSize,
    int minimumCalls,
    Duration resetTimeout,
    double resetTimeoutMultiplier,
    Duration maxResetTimeout,
    int halfOpenMaxAttempts,
    int transitionsKept)
    implements CborSerializable {

  private static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
  private static final Duration MAX_TIMEOUT = Duration.ofDays(7);

  public static final BreakerSettings DEFAULTS =
      new BreakerSettings(5, 50, 20, 10, Duration.ofSeconds(30), 2.0, Duration.ofMinutes(5), 1, 20);

  /** @throws IllegalArgumentException naming the config key of the first invalid value */
  public BreakerSettings {
    Objects.requireNonNull(resetTimeout, "reset-timeout");
    Objects.requireNonNull(maxResetTimeout, "max-reset-timeout");
    between("failure-threshold", failureThreshold, 0, 1000);
    between("failure-rate-threshold", failureRateThreshold, 0, 100);
    if (failureThreshold == 0 && failureRateThreshold == 0) {
      throw new InvalidSetting(
          "failure-threshold",
          "is 0 (off) and so is failure-rate-threshold, but at least one of them must be on");
    }
    between("sliding-window-size", slidingWindowSize, 1, 1000);
    if (minimumCalls < 1 || minimumCalls > slidingWindowSize) {
      throw new InvalidSetting(
          "minimum-calls",
          "must be between 1 and sliding-window-size (" + slidingWindowSize + ") but was " + minimumCalls);
    }
    if (resetTimeout.compareTo(MIN_TIMEOUT) < 0 || resetTimeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new InvalidSetting(
          "reset-timeout",
          "must be between " + text(MIN_TIMEOUT) + " and " + text(MAX_TIMEOUT) + " but was " + text(resetTimeout));
    }
    if (!(resetTimeoutMultiplier >= 1.0 && resetTimeoutMultiplier <= 100.0)) {
      throw new InvalidSetting(
          "reset-timeout-multiplier", "must be between 1.0 and 100.0 but was " + resetTimeoutMultiplier);
    }
    if (maxResetTimeout.compareTo(resetTimeout) < 0 || maxResetTimeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new InvalidSetting(
          "max-reset-timeout",
          "must be between reset-timeout (" + text(resetTimeout) + ") and " + text(MAX_TIMEOUT)
              + " but was " + text(maxResetTimeout));
    }
    between("half-open-max-attempts", halfOpenMaxAttempts, 1, 1000);
    between("transitions-kept", transitionsKept, 1, 1000);
  }

  /**
   * Reads the keys listed above from {@code config}, the subtree found at {@code path}; {@code
   * path} only makes the messages name the full key.
   *
   * @throws ConfigException.BadValue for an invalid value, naming the full key, the allowed range
   *     and the value given
   * @throws ConfigException.Missing for a key that is not there, naming the full key
   */
  public static BreakerSettings fromConfig(Config config, String path) {
    try {
      return new BreakerSettings(
          read(config, path, "failure-threshold", Config::getInt),
          read(config, path, "failure-rate-threshold", Config::getInt),
          read(config, path, "sliding-window-size", Config::getInt),
          read(config, path, "minimum-calls", Config::getInt),
          read(config, path, "reset-timeout", Config::getDuration),
          read(config, path, "reset-timeout-multiplier", Config::getDouble),
          read(config, path, "max-reset-timeout", Config::getDuration),
          read(config, path, "half-open-max-attempts", Config::getInt),
          read(config, path, "transitions-kept", Config::getInt));
    } catch (InvalidSetting e) {
      throw new ConfigException.BadValue(path + "." + e.key, e.detail);
    }
  }

  /**
   * How long the breaker stays open after its {@code consecutiveOpenings}-th opening in a row:
   * the reset timeout grown by the multiplier once per re-opening, capped. StrictMath keeps the
   * result identical on every JVM, so a replay lands on the same instants.
   */
  Duration resetTimeoutAfter(int consecutiveOpenings) {
    double nanos = resetTimeout.toNanos() * StrictMath.pow(resetTimeoutMultiplier, consecutiveOpenings - 1);
    return nanos >= maxResetTimeout.toNanos() ? maxResetTimeout : Duration.ofNanos(Math.round(nanos));
  }

  /** A duration as people write it in config: 30s, 1m30s, 168h, 0.5s. */
  static String text(Duration duration) {
    return duration.toString().substring(2).toLowerCase(Locale.ROOT);
  }

  private static void between(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new InvalidSetting(key, "must be between " + min + " and " + max + " but was " + value);
    }
  }

  /** A key whose value is missing or of the wrong type is reported by its full path too. */
  private static <T> T read(Config config, String path, String key, BiFunction<Config, String, T> getter) {
    try {
      return getter.apply(config, key);
    } catch (ConfigException.Missing e) {
      throw new ConfigException.Missing(path + "." + key, e);
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      throw new ConfigException.BadValue(path + "." + key, e.getMessage(), e);
    }
  }

  /** Carries the config key apart from the message so that fromConfig can prefix its path. */
  private static final class InvalidSetting extends IllegalArgumentException {
    private final String key;
    private final String detail;

    InvalidSetting(String key, String detail) {
      super(key + " " + detail);
      this.key = key;
      this.detail = detail;
    }
  }
}
