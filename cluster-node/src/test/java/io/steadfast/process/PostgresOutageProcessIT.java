package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * PostgreSQL killed under steady load: SIGKILL of the postmaster (its backends die with it),
 * 5 s down, started again (crash recovery replays its write-ahead log). PostgreSQL makes each
 * commit durable before it returns, so every task acknowledged before the kill must still be in
 * the journal and end SUCCEEDED; the nodes, never restarted, must reconnect by themselves and
 * take new tasks within seconds. Runs in the postgres Failsafe execution only (ChaosProcessIT
 * does the same to H2's server).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresOutageProcessIT {
  /** What the settings promise (persistence breakers 2 s, backoffs 2 s), with room for a busy machine. */
  private static final Duration SERVING_AFTER_DATABASE_BOUND = Duration.ofSeconds(30);
  private static final Duration OUTAGE = Duration.ofSeconds(5);

  private LocalCluster cluster;

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.start("pg-outage", 3, List.of(
        "-Dsteadfast.task-types.sleep.max-attempts=10",
        // flaky tasks fail half their attempts here: enough to open their breaker, which has its
        // own test; this one is about storage.
        "-Dsteadfast.task-types.flaky.circuit-breaker.failure-threshold=1000",
        "-Dsteadfast.task-types.flaky.circuit-breaker.failure-rate-threshold=0"));
    assertEquals("postgres", cluster.databaseKind(), "this test kills PostgreSQL: run it with -D"
        + TestDatabase.SYSTEM_PROPERTY + "=postgres (the postgres Failsafe execution)");
  }

  @AfterAll
  void stop() {
    if (cluster != null) cluster.close();
  }

  /** noop, sleep with checkpoints and flaky failing once, in turn: writes of every kind in flight. */
  private static IntFunction<String> mix() {
    return n -> switch (n % 3) {
      case 0 -> "{\"type\":\"noop\",\"payload\":{}}";
      case 1 -> "{\"type\":\"sleep\",\"payload\":{\"durationMs\":1500,\"checkpointEveryMs\":500}}";
      default -> "{\"type\":\"flaky\",\"payload\":{\"failTimes\":1}}";
    };
  }

  @Test
  void aKilledPostgresServerLosesNoAcknowledgedTaskAndTheNodesReconnectByThemselves() throws Exception {
    List<Long> nodePids = cluster.nodes().stream().map(node -> node.process.pid()).toList();
    SteadyLoad load = new SteadyLoad(cluster, "pg-outage", mix(), 4, Duration.ofMillis(100));
    LoadChecks.DatabaseOutage outage;
    try {
      // cluster.killDatabase returns once the postmaster and its backends are gone.
      outage = LoadChecks.killDatabaseUnderLoad(
          cluster, load, OUTAGE, "after-pg-outage", PostgresOutageProcessIT::phase);
    } finally {
      load.close();
    }
    Map<String, SteadyLoad.Acked> ackedBeforeKill = outage.ackedBeforeKill();
    long[] servingAgainMs = outage.servingAgainMs();

    assertEquals(List.of(), load.unexpected(), "answers a client should never see (5xx other than 503, 4xx)");
    Map<String, SteadyLoad.Acked> acked = load.acked();
    assertTrue(acked.keySet().containsAll(ackedBeforeKill.keySet()));
    List<String> missingFromJournal = new ArrayList<>();
    for (SteadyLoad.Acked task : ackedBeforeKill.values()) {
      if (cluster.eventsInJournal("Task|" + task.id()) == 0) missingFromJournal.add(task.key());
    }
    assertEquals(List.of(), missingFromJournal, "tasks acknowledged before the kill but gone from the journal");
    LoadChecks.awaitAllSucceeded(cluster, acked.values());

    for (LocalCluster.Node node : cluster.nodes()) {
      assertTrue(node.isUp() && node.process.pid() == nodePids.get(node.index - 1),
          "node " + node.index + " must ride out the outage in the same process, not be restarted");
      assertTrue(servingAgainMs[node.index - 1] <= SERVING_AFTER_DATABASE_BOUND.toMillis(),
          "node " + node.index + " took " + servingAgainMs[node.index - 1] + " ms to take a task after PostgreSQL was back");
    }
    System.out.printf("PG-OUTAGE: postmaster killed %d ms after the last acknowledgement before it; down %d ms"
            + " (SIGKILL, backends gone, 5 s, restart with crash recovery)%n",
        outage.killedAfterLastAckMs(), outage.restartedAtMillis() - outage.killedAtMillis());
    for (int i = 0; i < servingAgainMs.length; i++) {
      System.out.printf("PG-OUTAGE: node %d took a new task %d ms after PostgreSQL was back%n", i + 1, servingAgainMs[i]);
    }
    System.out.printf("PG-OUTAGE: %d tasks acknowledged before the kill and %d in all: every one in the journal and"
        + " SUCCEEDED%n", ackedBeforeKill.size(), acked.size());
  }

  private static void phase(String what) {
    System.out.println("PG-OUTAGE: " + Instant.now() + " " + what);
    System.out.flush();
  }
}
