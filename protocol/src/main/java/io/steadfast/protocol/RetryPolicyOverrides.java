package io.steadfast.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.RetryPolicy.Jitter;
import io.steadfast.protocol.RetryPolicy.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Merges the retry policy overrides of a task submission into its type's policy. A request may
 * give any subset of the policy's fields by their names, or by the aliases that seed users know:
 * {@code maxRetries} (= maxAttempts − 1), {@code initialBackoffMs} (= initialDelayMs) and {@code
 * backoffMultiplier} (= multiplier).
 */
public final class RetryPolicyOverrides {

  private static final Map<String, String> CANONICAL_BY_ALIAS =
      Map.of(
          "maxRetries", "maxAttempts",
          "initialBackoffMs", "initialDelayMs",
          "backoffMultiplier", "multiplier");
  private static final String ALLOWED =
      "strategy, initialDelayMs, multiplier, maxDelayMs, jitter, jitterFactor, maxAttempts,"
          + " maxRetries, initialBackoffMs, backoffMultiplier";

  private final List<String> problems = new ArrayList<>();
  private Strategy strategy;
  private long initialDelayMs;
  private double multiplier;
  private long maxDelayMs;
  private Jitter jitter;
  private double jitterFactor;
  private int maxAttempts;

  private RetryPolicyOverrides(RetryPolicy base) {
    strategy = base.strategy();
    initialDelayMs = base.initialDelayMs();
    multiplier = base.multiplier();
    maxDelayMs = base.maxDelayMs();
    jitter = base.jitter();
    jitterFactor = base.jitterFactor();
    maxAttempts = base.maxAttempts();
  }

  /**
   * {@code base} with the fields given in {@code overrides} replaced, checked as a whole.
   *
   * @param overrides a JSON object; {@code null}, JSON null or a missing node leave {@code base}
   *     as it is
   * @throws InvalidRetryPolicyException with every problem found: unknown fields, an alias given
   *     with its canonical name, values of the wrong JSON type and values out of range
   */
  public static RetryPolicy apply(RetryPolicy base, JsonNode overrides) {
    if (overrides == null || overrides.isNull() || overrides.isMissingNode()) return base;
    RetryPolicyOverrides merge = new RetryPolicyOverrides(base);
    if (overrides.isObject()) {
      overrides.properties().forEach(f -> merge.set(f.getKey(), f.getValue(), overrides));
    } else {
      merge.problems.add("retry policy overrides must be a JSON object but was " + overrides);
    }
    RetryPolicy merged =
        new RetryPolicy(
            merge.strategy,
            merge.initialDelayMs,
            merge.multiplier,
            merge.maxDelayMs,
            merge.jitter,
            merge.jitterFactor,
            merge.maxAttempts);
    // A field whose value was rejected above keeps the base value, so is not reported twice.
    merge.problems.addAll(merged.problems());
    if (!merge.problems.isEmpty()) throw new InvalidRetryPolicyException(merge.problems);
    return merged;
  }

  private void set(String field, JsonNode value, JsonNode overrides) {
    String canonical = CANONICAL_BY_ALIAS.get(field);
    if (canonical != null && overrides.has(canonical)) {
      problems.add("give " + field + " or " + canonical + ", not both");
      return;
    }
    switch (field) {
      case "strategy" -> {
        Strategy parsed = wireName(field, value, Strategy::parse);
        if (parsed != null) strategy = parsed;
      }
      case "jitter" -> {
        Jitter parsed = wireName(field, value, Jitter::parse);
        if (parsed != null) jitter = parsed;
      }
      case "initialDelayMs", "initialBackoffMs" -> {
        Long parsed = integer(field, value, 0, RetryPolicy.MAX_DELAY_LIMIT_MS);
        if (parsed != null) initialDelayMs = parsed;
      }
      case "maxDelayMs" -> {
        Long parsed = integer(field, value, 0, RetryPolicy.MAX_DELAY_LIMIT_MS);
        if (parsed != null) maxDelayMs = parsed;
      }
      case "maxAttempts" -> {
        Long parsed = integer(field, value, 1, RetryPolicy.MAX_ATTEMPTS_LIMIT);
        if (parsed != null) maxAttempts = parsed.intValue();
      }
      case "maxRetries" -> {
        Long parsed = integer(field, value, 0, RetryPolicy.MAX_ATTEMPTS_LIMIT - 1);
        if (parsed != null) maxAttempts = parsed.intValue() + 1;
      }
      case "multiplier", "backoffMultiplier" -> {
        Double parsed = number(field, value);
        if (parsed != null) multiplier = parsed;
      }
      case "jitterFactor" -> {
        Double parsed = number(field, value);
        if (parsed != null) jitterFactor = parsed;
      }
      default -> problems.add("unknown field '" + field + "'; allowed: " + ALLOWED);
    }
  }

  private <E> E wireName(String field, JsonNode value, Function<String, E> parse) {
    if (!value.isTextual()) {
      problems.add(field + " must be a string but was " + value);
      return null;
    }
    try {
      return parse.apply(value.textValue());
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
      return null;
    }
  }

  /**
   * The range is checked here rather than left to {@link RetryPolicy#problems()} because a value
   * may not fit the field's Java type, and because {@code maxRetries} is not itself a field.
   */
  private Long integer(String field, JsonNode value, long min, long max) {
    if (!value.isNumber() || !value.canConvertToExactIntegral()) {
      problems.add(field + " must be an integer but was " + value);
      return null;
    }
    if (!value.canConvertToLong() || value.longValue() < min || value.longValue() > max) {
      problems.add(RetryPolicy.range(field, min, max, value));
      return null;
    }
    return value.longValue();
  }

  private Double number(String field, JsonNode value) {
    if (!value.isNumber()) {
      problems.add(field + " must be a number but was " + value);
      return null;
    }
    return value.doubleValue();
  }
}
