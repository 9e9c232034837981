package io.steadfast.task;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.steadfast.breaker.BreakerSettings;
import io.steadfast.execution.Bulkheads;
import io.steadfast.execution.ErrorClassifier;
import io.steadfast.handlers.HandlerRegistry;
import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.ratelimit.RateLimit;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

/**
 * The task types this node accepts, read from {@code steadfast.task-types}, each falling back to
 * {@code steadfast.task-defaults}. A bad value fails start-up with the full config key in the
 * message.
 */
public final class TaskTypes {
  static final String TYPES_PATH = "steadfast.task-types";
  static final String DEFAULTS_PATH = "steadfast.task-defaults";
  private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final Map<String, TaskType> byName;
  private final int defaultDeadLettersKept;
  private final BreakerSettings defaultBreaker;
  private final RetryPolicy defaultPolicy;

  private TaskTypes(
      Map<String, TaskType> byName, int defaultDeadLettersKept, BreakerSettings defaultBreaker, RetryPolicy defaultPolicy) {
    this.byName = Collections.unmodifiableMap(new TreeMap<>(byName));
    this.defaultDeadLettersKept = defaultDeadLettersKept;
    this.defaultBreaker = defaultBreaker;
    this.defaultPolicy = defaultPolicy;
  }

  public static TaskTypes fromConfig(Config config, HandlerRegistry handlers) {
    Config defaults = config.getConfig(DEFAULTS_PATH);
    Config types = config.getConfig(TYPES_PATH);
    Map<String, TaskType> byName = new TreeMap<>();
    for (String name : types.root().keySet()) {
      String path = TYPES_PATH + "." + name;
      if (!VALID_NAME.matcher(name).matches()) {
        throw new ConfigException.BadValue(path, "a task type name must match " + VALID_NAME.pattern());
      }
      Config type = types.getConfig(quoted(name)).withFallback(defaults);
      byName.put(name, read(name, path, type, handlers));
    }
    if (byName.isEmpty()) throw new ConfigException.Generic(TYPES_PATH + " must name at least one task type");
    return new TaskTypes(
        byName,
        intBetween(defaults, DEFAULTS_PATH, "dead-letters.keep", 1, 1_000_000),
        BreakerSettings.fromConfig(defaults.getConfig("circuit-breaker"), DEFAULTS_PATH + ".circuit-breaker"),
        policy(defaults, DEFAULTS_PATH));
  }

  private static TaskType read(String name, String path, Config type, HandlerRegistry handlers) {
    String handlerName = type.getString("handler");
    TaskHandler handler =
        handlers
            .find(handlerName)
            .orElseThrow(
                () ->
                    new ConfigException.BadValue(
                        path + ".handler",
                        "no task handler named '" + handlerName + "'; known: " + handlers.names()));
    RetryPolicy policy = policy(type, path);
    long timeoutMs = millis(type, "attempt-timeout");
    if (timeoutMs < 1) {
      throw new ConfigException.BadValue(path + ".attempt-timeout", "must be positive but was " + timeoutMs + " ms");
    }
    ErrorClassifier classifier =
        new ErrorClassifier(
            classNames(type, path, "retry-on", handler), classNames(type, path, "abort-on", handler));
    int concurrency = intBetween(type, path, "bulkhead.concurrency", 1, 10_000);
    int maxQueue = intBetween(type, path, "bulkhead.max-queue", 0, 10_000_000);
    int deadLettersKept = intBetween(type, path, "dead-letters.keep", 1, 1_000_000);
    BreakerSettings breaker = BreakerSettings.fromConfig(type.getConfig("circuit-breaker"), path + ".circuit-breaker");
    RateLimit rateLimit =
        type.hasPath("rate-limit") ? RateLimit.fromConfig(type.getConfig("rate-limit"), path + ".rate-limit") : null;
    return new TaskType(
        name, handler, policy, timeoutMs, classifier, concurrency, maxQueue, deadLettersKept, breaker, rateLimit);
  }

  /** The retry policy under {@code path}, validated. */
  private static RetryPolicy policy(Config config, String path) {
    RetryPolicy policy =
        new RetryPolicy(
            parse(path + ".retry.strategy", () -> RetryPolicy.Strategy.parse(config.getString("retry.strategy"))),
            millis(config, "retry.initial-delay"),
            config.getDouble("retry.multiplier"),
            millis(config, "retry.max-delay"),
            parse(path + ".retry.jitter", () -> RetryPolicy.Jitter.parse(config.getString("retry.jitter"))),
            config.getDouble("retry.jitter-factor"),
            config.getInt("max-attempts"));
    if (!policy.problems().isEmpty()) {
      throw new ConfigException.BadValue(path, String.join("; ", policy.problems()));
    }
    return policy;
  }

  private static <T> T parse(String key, java.util.function.Supplier<T> parser) {
    try {
      return parser.get();
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(key, e.getMessage());
    }
  }

  /** Exception classes named in config must exist, or the list would silently never match. */
  private static Set<String> classNames(Config type, String path, String key, TaskHandler handler) {
    Set<String> names = new TreeSet<>(type.getStringList(key));
    for (String name : names) {
      try {
        Class<?> found = Class.forName(name, false, handler.getClass().getClassLoader());
        if (!Throwable.class.isAssignableFrom(found)) {
          throw new ConfigException.BadValue(path + "." + key, name + " is not an exception class");
        }
      } catch (ClassNotFoundException e) {
        throw new ConfigException.BadValue(path + "." + key, "no class named " + name + " on the classpath");
      }
    }
    return names;
  }

  private static int intBetween(Config type, String path, String key, int min, int max) {
    int value = type.getInt(key);
    if (value < min || value > max) {
      throw new ConfigException.BadValue(
          path + "." + key, "must be between " + min + " and " + max + " but was " + value);
    }
    return value;
  }

  private static long millis(Config config, String key) {
    Duration duration = config.getDuration(key);
    return TimeUnit.NANOSECONDS.toMillis(duration.toNanos());
  }

  private static String quoted(String key) {
    return "\"" + key + "\"";
  }

  public Optional<TaskType> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Set<String> names() {
    return byName.keySet();
  }

  /** Dead letters kept for {@code type}; a type no longer configured keeps the default. */
  public int deadLettersKept(String type) {
    TaskType known = byName.get(type);
    return known == null ? defaultDeadLettersKept : known.deadLettersKept();
  }

  /** A type's retry policy; a type no longer configured gets the defaults' policy. */
  public RetryPolicy retryPolicy(String type) {
    TaskType known = byName.get(type);
    return known == null ? defaultPolicy : known.retryPolicy();
  }

  /** A type's breaker settings; a type no longer configured gets the defaults. */
  public BreakerSettings breakerSettings(String type) {
    TaskType known = byName.get(type);
    return known == null ? defaultBreaker : known.breaker();
  }

  /** The types with a rate limit, and their limits. */
  public Map<String, RateLimit> rateLimits() {
    Map<String, RateLimit> limits = new TreeMap<>();
    byName.values().forEach(type -> {
      if (type.rateLimit() != null) limits.put(type.name(), type.rateLimit());
    });
    return limits;
  }

  /** Each type's bulkhead on this node. */
  public List<Bulkheads.Limits> bulkheads() {
    return byName.values().stream()
        .map(type -> new Bulkheads.Limits(type.name(), type.concurrency(), type.maxQueue()))
        .toList();
  }
}
