package io.steadfast.ratelimit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.steadfast.protocol.CborSerializable;
import java.time.Duration;

/**
 * A task type's limit for the whole cluster: at most {@code permits} attempts started every
 * {@code per}, with up to {@code burst} saved up while the type is idle. Only configuration sets
 * it; a task cannot raise it.
 *
 * @param burst the most permits the limiter holds at once (one {@code per}'s worth by default)
 */
public record RateLimit(int permits, Duration per, int burst) implements CborSerializable {
  static final int MAX_PERMITS = 1_000_000;
  /** A node leases what the limit allows in this long, so that it asks the limiter a few times a second. */
  static final Duration LEASE_WINDOW = Duration.ofMillis(200);

  /** {@code rate-limit} of a type's config; {@code path} is that key's full name, for errors. */
  public static RateLimit fromConfig(Config config, String path) {
    int permits = intBetween(config, path, "permits", 1, MAX_PERMITS);
    Duration per = config.getDuration("per");
    if (per.toMillis() < 1 || per.compareTo(Duration.ofDays(1)) > 0) {
      throw new ConfigException.BadValue(path + ".per", "must be between 1ms and 1d but was " + per);
    }
    int burst = config.hasPath("burst") ? intBetween(config, path, "burst", 1, MAX_PERMITS) : permits;
    return new RateLimit(permits, per, burst);
  }

  private static int intBetween(Config config, String path, String key, int min, int max) {
    int value;
    try {
      value = config.getInt(key);
    } catch (ConfigException.Missing e) {
      throw new ConfigException.BadValue(path + "." + key, "is required");
    }
    if (value < min || value > max) {
      throw new ConfigException.BadValue(path + "." + key, "must be between " + min + " and " + max + " but was " + value);
    }
    return value;
  }

  public double permitsPerSecond() {
    return permits * 1_000_000_000.0 / per.toNanos();
  }

  /** How many permits a node asks for at once: a lease window's worth, at least 1, at most the burst. */
  int leaseSize() {
    int window = (int) Math.ceil(permitsPerSecond() * LEASE_WINDOW.toNanos() / 1_000_000_000.0);
    return Math.max(1, Math.min(burst, window));
  }

  /** How it reads in messages: "20 per 1s (burst 20)". */
  public String describe() {
    return permits + " per " + per.toString().substring(2).toLowerCase() + " (burst " + burst + ")";
  }
}
