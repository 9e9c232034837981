package io.steadfast.testing;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** The one way tests wait for a condition: poll it until it holds, and fail naming it if it never does. */
public final class Waiting {
  /** Long enough for a slow machine; tests that wait on more set their own. */
  public static final Duration AT_MOST = Duration.ofSeconds(10);

  private Waiting() {}

  /**
   * Checks at once, then every 20 ms, for at most {@link #AT_MOST}; a timeout names {@code what}
   * and the last value seen. Set {@code pollInterval} higher where a check is costly.
   */
  public static ConditionFactory waitFor(String what) {
    return Awaitility.await(what).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20)).atMost(AT_MOST);
  }
}
