package io.steadfast.bench;

import java.util.HashMap;
import java.util.Map;

/** The load generator's options: {@code --name=value} pairs, each with a default. */
final class Options {
  private final Map<String, String> values;

  private Options(Map<String, String> values) {
    this.values = values;
  }

  static Options parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 3) throw new IllegalArgumentException("expected --name=value, got '" + arg + "'");
      values.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    return new Options(values);
  }

  int integer(String name, int fallback) {
    String value = values.get(name);
    return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
  }

  double decimal(String name, double fallback) {
    String value = values.get(name);
    return value == null || value.isBlank() ? fallback : Double.parseDouble(value.trim());
  }

  String text(String name, String fallback) {
    String value = values.get(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
