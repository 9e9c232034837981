package io.steadfast.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.steadfast.protocol.RetryPolicy.Jitter;
import io.steadfast.protocol.RetryPolicy.Strategy;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyOverridesTest {

  private static final RetryPolicy BASE =
      new RetryPolicy(Strategy.EXPONENTIAL, 1000, 2.0, 60_000, Jitter.NONE, 0.0, 5);
  private static final String ALLOWED =
      "strategy, initialDelayMs, multiplier, maxDelayMs, jitter, jitterFactor, maxAttempts,"
          + " maxRetries, initialBackoffMs, backoffMultiplier";

  private final ObjectMapper json = new ObjectMapper();

  @Test
  void noOverridesLeaveTheBaseAsItIs() throws Exception {
    assertSame(BASE, RetryPolicyOverrides.apply(BASE, null));
    assertSame(BASE, RetryPolicyOverrides.apply(BASE, NullNode.getInstance()));
    assertSame(BASE, RetryPolicyOverrides.apply(BASE, MissingNode.getInstance()));
    assertSame(BASE, RetryPolicyOverrides.apply(BASE, json.readTree("{}").get("retryPolicy")));
    assertEquals(BASE, apply("{}"));
  }

  @Test
  void aSubsetReplacesOnlyTheFieldsGiven() throws Exception {
    assertEquals(
        new RetryPolicy(Strategy.LINEAR, 1000, 2.0, 60_000, Jitter.FULL, 0.0, 5),
        apply("{\"strategy\": \"linear\", \"jitter\": \"full\"}"));
  }

  @Test
  void everyFieldCanBeOverridden() throws Exception {
    assertEquals(
        new RetryPolicy(Strategy.FIXED, 250, 3.5, 9000, Jitter.EQUAL, 0.2, 7),
        apply(
            """
            {"strategy": "fixed", "initialDelayMs": 250, "multiplier": 3.5, "maxDelayMs": 9000,
             "jitter": "equal", "jitterFactor": 0.2, "maxAttempts": 7}
            """));
  }

  @Test
  void aliasesMapToTheirFields() throws Exception {
    assertEquals(
        new RetryPolicy(Strategy.EXPONENTIAL, 250, 3.0, 60_000, Jitter.NONE, 0.0, 4),
        apply("{\"maxRetries\": 3, \"initialBackoffMs\": 250, \"backoffMultiplier\": 3}"));
  }

  @Test
  void anIntegralNumberWrittenWithAFractionIsAnInteger() throws Exception {
    assertEquals(3, apply("{\"maxAttempts\": 3.0}").maxAttempts());
  }

  @Test
  void anAliasAndItsFieldTogetherIsAnError() {
    assertProblems(
        "{\"maxRetries\": 3, \"maxAttempts\": 4}", "give maxRetries or maxAttempts, not both");
  }

  @Test
  void anUnknownFieldIsNamedWithTheAllowedOnes() {
    assertProblems("{\"retries\": 3}", "unknown field 'retries'; allowed: " + ALLOWED);
  }

  @Test
  void valuesOfTheWrongTypeAreNamedWithTheValueGiven() {
    assertProblems("{\"initialDelayMs\": \"abc\"}", "initialDelayMs must be an integer but was \"abc\"");
    assertProblems("{\"maxAttempts\": 2.5}", "maxAttempts must be an integer but was 2.5");
    assertProblems("{\"maxRetries\": null}", "maxRetries must be an integer but was null");
    assertProblems("{\"multiplier\": \"2\"}", "multiplier must be a number but was \"2\"");
    assertProblems("{\"strategy\": 1}", "strategy must be a string but was 1");
    assertProblems(
        "{\"jitter\": \"sometimes\"}",
        "jitter must be one of none, full, equal, decorrelated but was 'sometimes'");
  }

  @Test
  void valuesOutOfRangeAreNamedAsGiven() {
    assertProblems("{\"maxRetries\": 1000}", "maxRetries must be between 0 and 999 but was 1000");
    assertProblems(
        "{\"maxAttempts\": 100000000000}",
        "maxAttempts must be between 1 and 1000 but was 100000000000");
    assertProblems(
        "{\"initialBackoffMs\": 100000000000000000000}",
        "initialBackoffMs must be between 0 and 604800000 but was 100000000000000000000");
    assertProblems(
        "{\"backoffMultiplier\": 0.5}", "multiplier must be between 1.0 and 100.0 but was 0.5");
    assertProblems(
        "{\"maxDelayMs\": 500}", "maxDelayMs must be >= initialDelayMs (1000) but was 500");
  }

  @Test
  void notAnObjectIsAProblem() {
    assertProblems("[1, 2]", "retry policy overrides must be a JSON object but was [1,2]");
  }

  @Test
  void everyProblemIsReportedAtOnce() throws Exception {
    InvalidRetryPolicyException e =
        assertThrows(
            InvalidRetryPolicyException.class,
            () ->
                apply(
                    """
                    {"strategy": "random", "initialDelayMs": "abc", "jitterFactor": 1.5,
                     "foo": 1, "maxRetries": 2, "maxAttempts": 3}
                    """));
    List<String> expected =
        List.of(
            "strategy must be one of fixed, linear, exponential but was 'random'",
            "initialDelayMs must be an integer but was \"abc\"",
            "unknown field 'foo'; allowed: " + ALLOWED,
            "give maxRetries or maxAttempts, not both",
            "jitterFactor must be between 0.0 and 1.0 but was 1.5");
    assertEquals(expected, e.problems());
    assertEquals(String.join("; ", expected), e.getMessage());
  }

  private RetryPolicy apply(String overrides) throws Exception {
    return RetryPolicyOverrides.apply(BASE, json.readTree(overrides));
  }

  private void assertProblems(String overrides, String... problems) {
    InvalidRetryPolicyException e =
        assertThrows(InvalidRetryPolicyException.class, () -> apply(overrides));
    assertEquals(List.of(problems), e.problems());
  }
}
