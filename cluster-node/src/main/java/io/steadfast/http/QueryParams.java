package io.steadfast.http;

import java.util.Optional;

/** Parses query parameters strictly: a value that does not parse is absent, never guessed. */
final class QueryParams {
  private QueryParams() {}

  static Optional<Long> longBetween(Optional<String> raw, long min, long max) {
    if (raw.isEmpty()) return Optional.empty();
    try {
      long value = Long.parseLong(raw.get().trim());
      return value >= min && value <= max ? Optional.of(value) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  static Optional<Double> nonNegativeNumber(String raw) {
    try {
      double value = Double.parseDouble(raw.trim());
      return Double.isFinite(value) && value >= 0 ? Optional.of(value) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
