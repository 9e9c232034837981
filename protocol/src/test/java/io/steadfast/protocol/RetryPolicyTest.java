package io.steadfast.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.RetryPolicy.Jitter;
import io.steadfast.protocol.RetryPolicy.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private static final RetryPolicy VALID =
      new RetryPolicy(Strategy.EXPONENTIAL, 1000, 2.0, 60_000, Jitter.DECORRELATED, 0.25, 5);

  private final ObjectMapper json = new ObjectMapper();

  @Test
  void aValidPolicyHasNoProblems() {
    assertEquals(List.of(), VALID.problems());
  }

  @Test
  void eachProblemNamesTheFieldTheRangeAndTheValue() {
    assertEquals(
        List.of("multiplier must be between 1.0 and 100.0 but was 120.0"),
        new RetryPolicy(Strategy.EXPONENTIAL, 1000, 120.0, 60_000, Jitter.NONE, 0, 5).problems());
    assertEquals(
        List.of("jitterFactor must be between 0.0 and 1.0 but was 1.5"),
        new RetryPolicy(Strategy.FIXED, 1000, 1.0, 60_000, Jitter.FULL, 1.5, 5).problems());
    assertEquals(
        List.of("maxDelayMs must be >= initialDelayMs (2000) but was 1000"),
        new RetryPolicy(Strategy.FIXED, 2000, 1.0, 1000, Jitter.NONE, 0, 5).problems());
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    RetryPolicy bad = new RetryPolicy(null, -1, Double.NaN, 700_000_000, Jitter.NONE, -0.5, 0);
    assertEquals(
        List.of(
            "strategy must be one of fixed, linear, exponential but was null",
            "initialDelayMs must be between 0 and 604800000 but was -1",
            "multiplier must be between 1.0 and 100.0 but was NaN",
            "maxDelayMs must be between 0 and 604800000 but was 700000000",
            "jitterFactor must be between 0.0 and 1.0 but was -0.5",
            "maxAttempts must be between 1 and 1000 but was 0"),
        bad.problems());
  }

  @Test
  void strategyAndJitterParseTheirWireNamesWithAClearError() {
    assertEquals(Jitter.DECORRELATED, Jitter.parse("decorrelated"));
    assertEquals(Strategy.LINEAR, Strategy.parse("linear"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Jitter.parse("sometimes"));
    assertEquals(
        "jitter must be one of none, full, equal, decorrelated but was 'sometimes'",
        e.getMessage());
  }

  @Test
  void aMissingJitterReadsAsNone() {
    assertEquals(Jitter.NONE, new RetryPolicy(Strategy.FIXED, 1, 1, 1, null, 0, 1).jitter());
  }

  @Test
  void jacksonRoundTripsThePolicyWithOnlyItsComponentsAsProperties() throws Exception {
    String text = json.writeValueAsString(VALID);

    List<String> names = new ArrayList<>();
    json.readTree(text).fieldNames().forEachRemaining(names::add);
    assertEquals(
        Set.of(
            "strategy",
            "initialDelayMs",
            "multiplier",
            "maxDelayMs",
            "jitter",
            "jitterFactor",
            "maxAttempts"),
        Set.copyOf(names));
    assertEquals(7, names.size());
    assertEquals("decorrelated", json.readTree(text).get("jitter").asText());
    assertEquals("exponential", json.readTree(text).get("strategy").asText());
    assertEquals(VALID, json.readValue(text, RetryPolicy.class));
  }

  @Test
  void aPolicyStoredBeforeJitterExistedReadsBackWithoutJitter() throws Exception {
    String old =
        """
        {"strategy":"linear","initialDelayMs":500,"multiplier":1.0,"maxDelayMs":5000,"maxAttempts":3}
        """;
    assertEquals(
        new RetryPolicy(Strategy.LINEAR, 500, 1.0, 5000, Jitter.NONE, 0.0, 3),
        json.readValue(old, RetryPolicy.class));
  }
}
