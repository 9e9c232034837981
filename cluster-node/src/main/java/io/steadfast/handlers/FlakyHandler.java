package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Fails on purpose, for demos and chaos tests. Payload:
 *
 * <ul>
 *   <li>{@code failTimes} n: the first n attempts fail, then it succeeds;
 *   <li>{@code failProbability} p (0..1): instead, each attempt fails with probability p;
 *   <li>{@code error}: how it fails — {@code retryable} (default), {@code permanent}, {@code
 *       timeout} (hangs until the attempt times out), {@code rateLimited} (asks to come back
 *       after retryAfterMs without spending an attempt);
 *   <li>{@code retryAfterMs} m: with a retryable or rate-limited failure, when to come back.
 * </ul>
 */
public final class FlakyHandler implements TaskHandler {
  @Override
  public String name() {
    return "flaky";
  }

  @Override
  public JsonNode execute(TaskContext context) throws Exception {
    JsonNode payload = context.payload();
    if (!shouldFail(payload, context.attempt())) {
      return JsonNodeFactory.instance.objectNode().put("succeededOnAttempt", context.attempt());
    }
    String message = "flaky failure on attempt " + context.attempt();
    Duration retryAfter =
        payload.hasNonNull("retryAfterMs") ? Duration.ofMillis(payload.get("retryAfterMs").asLong()) : null;
    String error = payload.path("error").asText("retryable");
    switch (error) {
      case "retryable" -> throw new RetryableTaskException("FLAKY", message, retryAfter);
      case "permanent" -> throw new PermanentTaskException("FLAKY", message);
      case "rateLimited" -> throw new RateLimitedException(message, retryAfter == null ? Duration.ofSeconds(1) : retryAfter);
      case "timeout" -> {
        hangUntilCancelled(context);
        throw new RetryableTaskException("FLAKY", message + ": hung until cancelled");
      }
      default -> throw new PermanentTaskException(
          "INVALID_PAYLOAD", "error must be retryable, permanent, timeout or rateLimited but was '" + error + "'");
    }
  }

  private static boolean shouldFail(JsonNode payload, int attempt) throws PermanentTaskException {
    if (payload.hasNonNull("failProbability")) {
      double p = payload.get("failProbability").asDouble(-1);
      if (p < 0 || p > 1) {
        throw new PermanentTaskException("INVALID_PAYLOAD", "failProbability must be between 0 and 1 but was " + p);
      }
      return ThreadLocalRandom.current().nextDouble() < p;
    }
    return attempt <= payload.path("failTimes").asInt(0);
  }

  private static void hangUntilCancelled(TaskContext context) throws InterruptedException {
    while (!context.isCancelled()) Thread.sleep(20);
  }
}
