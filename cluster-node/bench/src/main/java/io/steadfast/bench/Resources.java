package io.steadfast.bench;

import java.sql.Connection;
import java.time.Duration;
import java.util.Map;

/**
 * Scenario {@code resources}, the journal half (scripts/bench.sh samples the nodes' memory): a
 * fresh batch of noop tasks, and the journal rows it added, read over JDBC; see {@link Journal}.
 */
final class Resources {
  private Resources() {}

  static void run(Api api, int portOffset, String store, int count, int inFlight, String runId,
      Duration passivateAfter) throws Exception {
    String name = "resources";
    try (Connection db = Journal.connect(portOffset, store)) {
      // Tasks of earlier scenarios would write sharding rows as they passivate, passivateAfter
      // after their last read: bench.sh runs this first, on a fresh cluster. Settle what start-up wrote.
      Figures.progress("%s: waiting for the journal to settle", name);
      Map<String, Long> before = Journal.settled(db, Duration.ofSeconds(5), passivateAfter.plusSeconds(30));
      Load.Submitted submitted = Load.closedLoop(api, count, inFlight,
          i -> Api.task("noop", "resources-" + runId + "-" + i));
      Completion.Outcome outcome = Completion.await(api, submitted.ids(), Duration.ofMinutes(5));
      Map<String, Long> atSuccess = Journal.minus(Journal.rowsByKind(db), before);
      Figures.progress("%s: %d noop tasks succeeded; rows added so far %s", name, outcome.succeeded(), atSuccess);
      Figures.progress("%s: waiting %s for them to passivate", name, passivateAfter);
      Thread.sleep(passivateAfter.toMillis());
      Map<String, Long> atRest = Journal.minus(Journal.settled(db, Duration.ofSeconds(5), Duration.ofSeconds(60)), before);
      Figures.progress("%s: rows added once passivated %s", name, atRest);

      double tasks = submitted.ids().size();
      Map<String, Long> byEvent = Journal.taskRowsByEvent(db, submitted.ids());
      Figures.figure(name + "_journal_task_rows_per_noop_task",
          byEvent.values().stream().mapToLong(Long::longValue).sum() / tasks, "rows");
      byEvent.forEach((event, rows) -> Figures.figure(name + "_journal_task_rows_per_noop_task_" + event, rows / tasks, "rows"));
      Figures.figure(name + "_journal_sharding_rows_per_noop_task_until_succeeded", sharding(atSuccess) / tasks, "rows");
      Figures.figure(name + "_journal_sharding_rows_per_noop_task_with_passivation", sharding(atRest) / tasks, "rows");
      Figures.figure(name + "_journal_breaker_rows_per_noop_task", atRest.getOrDefault("breaker", 0L) / tasks, "rows");
    }
  }

  /** Rows neither of a task nor of a breaker: sharding's own. */
  private static long sharding(Map<String, Long> rows) {
    return Journal.otherRows(rows) - rows.getOrDefault("breaker", 0L);
  }
}
