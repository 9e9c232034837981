package io.steadfast.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A log format logback has no appender for is refused, rather than silencing the node. */
class LogFormatTest {

  @Test
  void textJsonAndNothingAreFine() {
    assertEquals(Optional.empty(), problem(Map.of(), Map.of()));
    assertEquals(Optional.empty(), problem(Map.of("steadfast.log.format", "json"), Map.of()));
    assertEquals(Optional.empty(), problem(Map.of(), Map.of("STEADFAST_LOG_FORMAT", "json")));
  }

  @Test
  void thePropertyWinsOverTheEnvironmentAsInLogback() {
    assertEquals(Optional.empty(), problem(Map.of("steadfast.log.format", "text"), Map.of("STEADFAST_LOG_FORMAT", "JSON")));
    String problem = problem(Map.of(), Map.of("STEADFAST_LOG_FORMAT", "JSON")).orElseThrow();
    assertTrue(problem.contains("STEADFAST_LOG_FORMAT is 'JSON'"), problem);
    assertTrue(problem.contains("[json, text]"), problem);
  }

  private static Optional<String> problem(Map<String, String> properties, Map<String, String> environment) {
    return LogFormat.problem(properties::get, environment::get);
  }
}
