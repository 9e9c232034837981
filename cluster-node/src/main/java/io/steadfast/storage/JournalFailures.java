package io.steadfast.storage;

import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/** How an event-sourced entity comes back after its journal failed it (a database outage). */
public final class JournalFailures {
  private JournalFailures() {}

  /**
   * Restart in place and recover again, after 200 ms growing to at most 2 s. The cap bounds how
   * long an entity stays away after the database is back: while it is down, each try fails fast
   * on the journal's open circuit breaker, so trying every 2 s costs little.
   */
  public static BackoffSupervisorStrategy restartWithBackoff() {
    return SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(2), 0.2);
  }
}
