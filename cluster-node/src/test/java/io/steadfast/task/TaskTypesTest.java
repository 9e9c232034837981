package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.steadfast.handlers.HandlerRegistry;
import io.steadfast.handlers.NoopHandler;
import io.steadfast.protocol.RetryPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Task types read from config: the shipped file loads, and a bad value names its key. */
class TaskTypesTest {
  private static final Config SHIPPED = ConfigFactory.parseResources("steadfast.conf").resolve();

  @Test
  void theShippedTypesLoadWithTheirPolicies() {
    TaskTypes types = TaskTypes.fromConfig(SHIPPED, HandlerRegistry.load(SHIPPED));

    assertTrue(types.names().containsAll(java.util.Set.of("noop", "sleep", "flaky", "order", "email", "payment", "webhook")));
    RetryPolicy payment = types.find("payment").orElseThrow().retryPolicy();
    assertEquals(RetryPolicy.Strategy.FIXED, payment.strategy());
    assertEquals(5000, payment.initialDelayMs());
    assertEquals(RetryPolicy.Jitter.NONE, payment.jitter());
    assertEquals(3, payment.maxAttempts());
    assertEquals(5, types.find("email").orElseThrow().retryPolicy().maxAttempts());
  }

  @Test
  void aTypeMayHaveARateLimitAndOthersHaveNone() {
    Config config =
        ConfigFactory.parseString("steadfast.task-types { t { handler = noop, rate-limit { permits = 20, per = 1s } }, u { handler = noop } }")
            .withFallback(SHIPPED.withoutPath("steadfast.task-types"));

    TaskTypes types = TaskTypes.fromConfig(config, HandlerRegistry.of(new NoopHandler()));

    assertEquals(java.util.Map.of("t", new io.steadfast.ratelimit.RateLimit(20, java.time.Duration.ofSeconds(1), 20)),
        types.rateLimits());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "max-attempts = 0                     | steadfast.task-types.t",
    "retry.strategy = random              | steadfast.task-types.t.retry.strategy",
    "retry.jitter = sometimes             | steadfast.task-types.t.retry.jitter",
    "retry.multiplier = 120               | steadfast.task-types.t",
    "handler = missing                    | steadfast.task-types.t.handler",
    "abort-on = [\"no.such.Exception\"]   | steadfast.task-types.t.abort-on",
    "bulkhead.concurrency = 0             | steadfast.task-types.t.bulkhead.concurrency",
    "attempt-timeout = 0s                 | steadfast.task-types.t.attempt-timeout",
    "circuit-breaker.failure-rate-threshold = 120 | steadfast.task-types.t.circuit-breaker.failure-rate-threshold",
    "rate-limit { permits = 0, per = 1s } | steadfast.task-types.t.rate-limit.permits",
    "rate-limit { permits = 5, per = 0s } | steadfast.task-types.t.rate-limit.per",
    "rate-limit { per = 1s }              | steadfast.task-types.t.rate-limit.permits",
  })
  void aBadValueStopsStartUpNamingItsKey(String setting, String key) {
    Config config =
        ConfigFactory.parseString("steadfast.task-types { t { handler = noop, " + setting + " } }")
            .withFallback(SHIPPED.withoutPath("steadfast.task-types"));

    ConfigException error =
        assertThrows(ConfigException.class, () -> TaskTypes.fromConfig(config, HandlerRegistry.of(new NoopHandler())));
    assertTrue(error.getMessage().contains(key), error.getMessage());
  }
}
