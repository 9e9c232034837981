package io.steadfast.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitTest {
  private static final String PATH = "steadfast.task-types.email.rate-limit";

  @Test
  void theBurstDefaultsToOnePeriodsPermits() {
    RateLimit limit = RateLimit.fromConfig(ConfigFactory.parseString("permits = 20, per = 1s"), PATH);

    assertEquals(new RateLimit(20, Duration.ofSeconds(1), 20), limit);
    assertEquals(20.0, limit.permitsPerSecond());
  }

  @Test
  void aNodeLeasesAFifthOfASecondsPermitsAtLeastOneAtMostTheBurst() {
    assertEquals(4, new RateLimit(20, Duration.ofSeconds(1), 20).leaseSize());
    assertEquals(1, new RateLimit(1, Duration.ofMinutes(1), 1).leaseSize());
    assertEquals(2, new RateLimit(1000, Duration.ofSeconds(1), 2).leaseSize());
  }

  @Test
  void aBadValueIsAConfigErrorNamingItsKey() {
    assertKey(PATH + ".permits", "permits = 0, per = 1s");
    assertKey(PATH + ".per", "permits = 10, per = 0s");
    assertKey(PATH + ".burst", "permits = 10, per = 1s, burst = -1");
    assertKey(PATH + ".permits", "per = 1s");
  }

  private static void assertKey(String key, String config) {
    ConfigException e = assertThrows(ConfigException.class, () -> RateLimit.fromConfig(ConfigFactory.parseString(config), PATH));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }
}
