package io.steadfast.logging;

import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The log format a node was started with, which config/logback.xml uses as the name of its
 * appender: the system property {@code steadfast.log.format}, else the environment variable
 * {@code STEADFAST_LOG_FORMAT}, else {@code text}. Checked at start-up because logback, given a
 * name it has no appender for, drops every log line without a word.
 */
public final class LogFormat {
  static final Set<String> KNOWN = Set.of("text", "json");

  private LogFormat() {}

  /** Stops the process (exit code 2, like any other configuration error) if the format is unknown. */
  public static void exitIfUnknown() {
    problem(System::getProperty, System::getenv).ifPresent(problem -> {
      System.err.println(problem);
      System.exit(2);
    });
  }

  /** What is wrong with the chosen format, looked up the way logback looks it up; empty if nothing. */
  static Optional<String> problem(UnaryOperator<String> properties, UnaryOperator<String> environment) {
    String property = properties.apply("steadfast.log.format");
    String variable = environment.apply("STEADFAST_LOG_FORMAT");
    String format = property != null ? property : variable != null ? variable : "text";
    if (KNOWN.contains(format)) return Optional.empty();
    String source = property != null ? "-Dsteadfast.log.format" : "STEADFAST_LOG_FORMAT";
    return Optional.of("configuration error: " + source + " is '" + format + "'; it must be one of "
        + KNOWN.stream().sorted().toList() + " (without a known format the node would log nothing)");
  }
}
