package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.task.TaskSpec;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Schedules, rate limits and the breaker drill on one 3-node cluster, in order: bad schedules
 * refused; the drill opening a breaker; a 10/s limit held by three nodes together; a schedule
 * firing every second while its node is killed, and a paused one firing nothing; then one full
 * restart, after which each catch-up policy does what it says. Ticks are counted from the tasks
 * they submitted (each tick's task id follows from the schedule and the tick).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SchedulesAndRateLimitsProcessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int LIMIT_PER_SECOND = 10;
  /** A killed node's schedules fire again within this (the gone-member probe, shard moves, a busy machine). */
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(20);
  private static final Duration ON_TIME_WINDOW = Duration.ofSeconds(3);
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private LocalCluster cluster;

  @BeforeAll
  void start() throws Exception {
    cluster = LocalCluster.start("schedules", 3, List.of(
        "-Dsteadfast.task-types.limited.handler=noop",
        "-Dsteadfast.task-types.limited.rate-limit.permits=" + LIMIT_PER_SECOND,
        "-Dsteadfast.task-types.limited.rate-limit.per=1s",
        "-Dsteadfast.task-types.drilled.handler=noop",
        "-Dsteadfast.task-types.drilled.circuit-breaker.failure-threshold=5",
        "-Dsteadfast.task-types.drilled.circuit-breaker.failure-rate-threshold=0",
        "-Dsteadfast.task-types.drilled.circuit-breaker.reset-timeout=10m",
        "-Dsteadfast.task-types.drilled.circuit-breaker.max-reset-timeout=10m",
        "-Dsteadfast.drills.simulate-failure=on",
        "-Dsteadfast.schedules.on-time-window=" + ON_TIME_WINDOW.toSeconds() + "s"));
  }

  @AfterAll
  void stop() {
    if (cluster != null) cluster.close();
  }

  // ---------------------------------------------------------------- bad input, the drill

  @Test
  @Order(1)
  void aBadScheduleIsRefusedNamingItsFieldAndCreatesNothing() throws Exception {
    assertRefused("{\"id\":\"bad\",\"cron\":\"61 * * * *\",\"task\":{\"type\":\"noop\"}}", "cron");
    assertRefused("{\"id\":\"bad\",\"cron\":\"@every 1s\",\"timeZone\":\"Mars/Olympus\",\"task\":{\"type\":\"noop\"}}", "timeZone");
    assertRefused("{\"id\":\"bad\",\"cron\":\"@every 1s\",\"task\":{\"type\":\"nope\"}}", "task.type");
    assertRefused("{\"id\":\"bad\",\"cron\":\"@every 1s\",\"task\":{\"type\":\"noop\"},\"overlap\":\"SOMETIMES\"}", "overlap");
    assertEquals(404, cluster.get(cluster.node(2), "/api/v1/schedules/bad").statusCode(), "nothing was created");
  }

  private void assertRefused(String body, String field) throws Exception {
    HttpResponse<String> answer = cluster.post(cluster.node(1), "/api/v1/schedules", body);
    assertEquals(400, answer.statusCode(), answer.body());
    assertTrue(JSON.readTree(answer.body()).get("message").asText().contains(field), answer.body());
  }

  @Test
  @Order(2)
  void theDrillOpensABreakerAndItsTypeIsDeferred() throws Exception {
    String drill = "/api/v1/circuit-breakers/drilled/simulate-failure";
    HttpResponse<String> noCount = cluster.post(cluster.node(1), drill, "");
    assertEquals(400, noCount.statusCode(), noCount.body());
    assertEquals("CLOSED", json(cluster.get(cluster.node(3), "/api/v1/circuit-breakers/drilled")).get("state").asText(),
        "a refused drill changes nothing");

    HttpResponse<String> opened = cluster.post(cluster.node(2), drill + "?count=5", "");
    assertEquals(200, opened.statusCode(), opened.body());
    assertEquals("OPEN", json(opened).get("state").asText(), opened.body());

    String task = cluster.submit(cluster.node(3), "drilled", "{}");
    JsonNode deferred = awaitTask(task, view -> view.get("status").asText().equals("DEFERRED"));
    assertEquals(0, deferred.get("attempts").asInt(), "deferred without an attempt");
    assertEquals(200, cluster.post(cluster.node(1), "/api/v1/circuit-breakers/drilled/reset", "").statusCode());
  }

  // ---------------------------------------------------------------- the rate limit

  @Test
  @Order(3)
  void threeNodesTogetherStartAtMostTheLimitAndOneNodeAloneUsesAllOfIt() throws Exception {
    int tasks = 100;
    List<String> ids = new ArrayList<>();
    for (int node = 1; node <= 3; node++) {
      StringBuilder batch = new StringBuilder("{\"tasks\":[");
      for (int i = node - 1; i < tasks; i += 3) batch.append(i >= 3 ? "," : "").append("{\"type\":\"limited\",\"payload\":{}}");
      HttpResponse<String> answer = cluster.post(cluster.node(node), "/api/v1/tasks/batch", batch.append("]}").toString());
      assertEquals(200, answer.statusCode(), answer.body());
      for (JsonNode item : json(answer).get("results")) ids.add(item.get("task").get("id").asText());
    }
    assertEquals(tasks, ids.size());
    Map<String, JsonNode> views = TaskProgress.awaitTerminal(cluster, ids, SETTLE);

    List<Long> starts = new ArrayList<>();
    for (JsonNode view : views.values()) {
      assertEquals("SUCCEEDED", view.get("status").asText(), view::toString);
      assertEquals(1, view.get("attempts").asInt(), "waiting for a permit spends no attempt: " + view);
      starts.add(Instant.parse(view.get("history").get(0).get("startedAt").asText()).toEpochMilli());
    }
    starts.sort(Long::compare);
    double spanSeconds = (starts.get(tasks - 1) - starts.get(0)) / 1000.0;
    double rate = (tasks - 1) / spanSeconds;
    int worst2s = mostInAnyWindow(starts, 2000);
    System.out.printf("RATE LIMIT: %d tasks over 3 nodes at %d/s: %.1f attempts/s overall, at most %d in any 2 s;"
        + " per second: %s%n", tasks, LIMIT_PER_SECOND, rate, worst2s, perSecond(starts));
    // Three nodes limiting on their own would run 30/s; together they keep to 10/s, and use it.
    assertTrue(rate <= LIMIT_PER_SECOND * 1.15, "cluster rate " + rate + "/s over a " + LIMIT_PER_SECOND + "/s limit");
    assertTrue(rate >= LIMIT_PER_SECOND * 0.6, "cluster rate " + rate + "/s leaves the budget unused");
    // Two seconds' permits, the burst (10) saved up while the limiter was not asked (a busy
    // machine), and what each node may hold leased (2 each) on top.
    assertTrue(worst2s <= 2 * LIMIT_PER_SECOND + 10 + 6, worst2s + " attempts started within 2 s");

    // Now all the work on one node: tasks whose ids fall in shards that node ran tasks of.
    Map<Integer, String> nodeOfShard = new java.util.HashMap<>();
    for (JsonNode view : views.values()) {
      nodeOfShard.put(shardOf(view.get("id").asText()), view.get("history").get(0).get("node").asText());
    }
    String busy = nodeOfShard.values().stream().findFirst().orElseThrow();
    int oneNodeTasks = 50;
    StringBuilder batch = new StringBuilder("{\"tasks\":[");
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < oneNodeTasks; i++) {
      String key = "one-node-" + i;
      if (!busy.equals(nodeOfShard.get(shardOf(TaskSpec.idFor(key))))) continue;
      batch.append(keys.isEmpty() ? "" : ",").append("{\"type\":\"limited\",\"idempotencyKey\":\"").append(key).append("\"}");
      keys.add(key);
    }
    HttpResponse<String> submitted = cluster.post(cluster.node(2), "/api/v1/tasks/batch", batch.append("]}").toString());
    assertEquals(200, submitted.statusCode(), submitted.body());
    Map<String, JsonNode> oneNode = TaskProgress.awaitTerminal(cluster, keys.stream().map(TaskSpec::idFor).toList(), SETTLE);
    List<Long> oneNodeStarts = new ArrayList<>();
    long ranThere = 0;
    for (JsonNode view : oneNode.values()) {
      JsonNode attempt = view.get("history").get(0);
      oneNodeStarts.add(Instant.parse(attempt.get("startedAt").asText()).toEpochMilli());
      if (attempt.get("node").asText().equals(busy)) ranThere++;
    }
    oneNodeStarts.sort(Long::compare);
    // The limiter saved up its burst (10) while idle: the rate is what follows it.
    int burst = LIMIT_PER_SECOND;
    double oneNodeRate = (oneNodeTasks - 1 - burst)
        / ((oneNodeStarts.get(oneNodeTasks - 1) - oneNodeStarts.get(burst)) / 1000.0);
    System.out.printf("RATE LIMIT: %d tasks, %d of them on %s alone: %.1f attempts/s; per second: %s%n",
        oneNodeTasks, ranThere, busy, oneNodeRate, perSecond(oneNodeStarts));
    assertTrue(ranThere >= oneNodeTasks * 0.8, ranThere + " of " + oneNodeTasks + " ran on " + busy);
    assertTrue(oneNodeRate >= LIMIT_PER_SECOND * 0.6 && oneNodeRate <= LIMIT_PER_SECOND * 1.15,
        "one node holding the work ran " + oneNodeRate + "/s of a " + LIMIT_PER_SECOND + "/s limit");

    JsonNode limiter = json(cluster.get(cluster.node(1), "/api/v1/rate-limits/limited"));
    assertTrue(limiter.get("hostedBy").asText().startsWith("127.0.0.1:"), limiter::toString);
    LocalCluster.await("the read side counting rate-limited waits", SETTLE, () -> {
      JsonNode stats = jsonOrNull("/api/v1/stats");
      return stats != null && stats.get("totals").get("rateLimited").asLong() > 0;
    });
  }

  /** Sharding's shard of an entity id (its default extractor; steadfast sets 60 shards). */
  private static int shardOf(String entityId) {
    return Math.abs(entityId.hashCode() % 60);
  }

  private static String perSecond(List<Long> sortedMillis) {
    int[] counts = new int[(int) ((sortedMillis.get(sortedMillis.size() - 1) - sortedMillis.get(0)) / 1000) + 1];
    for (long start : sortedMillis) counts[(int) ((start - sortedMillis.get(0)) / 1000)]++;
    return java.util.Arrays.toString(counts);
  }

  private static int mostInAnyWindow(List<Long> sortedMillis, long windowMs) {
    int most = 0;
    int from = 0;
    for (int to = 0; to < sortedMillis.size(); to++) {
      while (sortedMillis.get(to) - sortedMillis.get(from) >= windowMs) from++;
      most = Math.max(most, to - from + 1);
    }
    return most;
  }

  // ---------------------------------------------------------------- schedules through a node's death

  @Test
  @Order(4)
  void aScheduleFiresEachSecondThroughItsNodesDeathAndAPausedOneFiresNothing() throws Exception {
    JsonNode paused = create("paused-one", "@every 1s", "SKIP", "SKIP");
    JsonNode pausedView = json(cluster.post(cluster.node(2), "/api/v1/schedules/paused-one/pause", ""));
    assertEquals("PAUSED", pausedView.get("status").asText());
    assertEquals(0, pausedView.get("nextFireTimes").size(), "a paused schedule shows no next fire time");
    long firedWhenPaused = pausedView.get("fired").asLong();
    Instant pausedAt = Instant.parse(pausedView.get("updatedAt").asText());

    JsonNode created = create("every-second", "@every 1s", "ALLOW", "SKIP");
    assertEquals(5, created.get("nextFireTimes").size(), created::toString);
    Instant createdAt = Instant.parse(created.get("createdAt").asText());
    JsonNode running = awaitSchedule("every-second", view -> view.get("fired").asLong() >= 3);

    String host = running.get("hostedBy").asText();
    LocalCluster.Node victim = cluster.nodes().stream().filter(n -> n.name().equals(host)).findFirst().orElseThrow();
    long firedBeforeKill = running.get("fired").asLong();
    Instant killedAt = Instant.now();
    cluster.kill(victim);
    JsonNode moved = awaitSchedule("every-second",
        view -> !view.get("hostedBy").asText().equals(host) && view.get("fired").asLong() >= firedBeforeKill + 3);
    assertNotEquals(host, moved.get("hostedBy").asText());
    cluster.launch(victim);
    cluster.awaitReady(victim);

    JsonNode stopped = json(cluster.post(cluster.node(1), "/api/v1/schedules/every-second/pause", ""));
    Instant lastTick = Instant.parse(stopped.get("lastTick").asText());
    List<Instant> missing = new ArrayList<>();
    int found = 0;
    for (Instant tick = createdAt.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1); !tick.isAfter(lastTick);
        tick = tick.plusSeconds(1)) {
      if (taskExists("every-second", tick)) found++;
      else missing.add(tick);
    }
    System.out.printf("SCHEDULE: %d ticks ran, %d missing, all between %s and %s; node killed at %s%n",
        found, missing.size(), missing.isEmpty() ? "-" : missing.get(0), missing.isEmpty() ? "-" : missing.get(missing.size() - 1),
        killedAt);
    for (Instant tick : missing) {
      assertTrue(!tick.isBefore(killedAt.minusSeconds(1)) && !tick.isAfter(killedAt.plus(RECOVERY_BOUND)),
          "tick " + tick + " lost outside the recovery window after the kill at " + killedAt);
    }
    assertEquals(found, stopped.get("fired").asLong(), "each tick fired once: one task per recorded firing");

    JsonNode stillPaused = json(cluster.get(cluster.node(3), "/api/v1/schedules/paused-one"));
    // A tick whose task was already being submitted when the pause arrived is recorded once the
    // task answers: at most that one, and due before the pause. Nothing after it.
    long firedAfterPause = stillPaused.get("fired").asLong() - firedWhenPaused;
    assertTrue(firedAfterPause <= 1, "a paused schedule fires nothing: " + stillPaused);
    if (firedAfterPause == 1) {
      assertTrue(!Instant.parse(stillPaused.get("lastTick").asText()).isAfter(pausedAt),
          "only a tick due before the pause may be recorded after it: " + stillPaused);
    }
    for (Instant tick = pausedAt.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1); tick.isBefore(Instant.now().minusSeconds(1));
        tick = tick.plusSeconds(1)) {
      assertTrue(!taskExists("paused-one", tick), "paused, yet a task for " + tick);
    }

    HttpResponse<String> triggered = cluster.post(cluster.node(2), "/api/v1/schedules/paused-one/trigger", "");
    assertEquals(202, triggered.statusCode(), triggered.body());
    TaskProgress.awaitTerminal(cluster, List.of(json(triggered).get("id").asText()), SETTLE);
    assertEquals(stillPaused.get("fired").asLong() + 1,
        json(cluster.get(cluster.node(1), "/api/v1/schedules/paused-one")).get("fired").asLong());

    JsonNode listed = json(cluster.get(cluster.node(3), "/api/v1/schedules"));
    List<String> ids = new ArrayList<>();
    listed.get("schedules").forEach(s -> ids.add(s.get("id").asText()));
    assertTrue(ids.containsAll(List.of("paused-one", "every-second")), listed::toString);
    assertEquals(200, cluster.delete(cluster.node(1), "/api/v1/schedules/every-second").statusCode());
    assertEquals(404, cluster.get(cluster.node(2), "/api/v1/schedules/every-second").statusCode());
    assertEquals(paused.get("id").asText(), "paused-one");
  }

  // ---------------------------------------------------------------- a full restart

  @Test
  @Order(5)
  void afterAFullRestartEachCatchUpPolicyDoesWhatItSays() throws Exception {
    create("catch-up-skip", "@every 1s", "ALLOW", "SKIP");
    create("catch-up-once", "@every 1s", "ALLOW", "RUN_ONCE");
    Map<String, Long> firedBeforeStop = new java.util.HashMap<>();
    for (String id : List.of("catch-up-skip", "catch-up-once")) {
      firedBeforeStop.put(id, awaitSchedule(id, view -> view.get("fired").asLong() >= 2).get("fired").asLong());
    }

    cluster.stopGracefully(cluster.nodes());
    // The outage under test: the whole cluster down for longer than the on-time window, so that the
    // ticks in between are missed however quickly the nodes stopped (a fast stop once left 3.2 s
    // between the last run and the relaunch). No node runs a tick after it stopped.
    Instant outageEnds = Instant.now().plus(ON_TIME_WINDOW).plusSeconds(2);
    LocalCluster.await("the outage to outlast the on-time window", ON_TIME_WINDOW.plusSeconds(10),
        () -> !Instant.now().isBefore(outageEnds));
    Instant launchedAt = Instant.now();
    for (LocalCluster.Node node : cluster.nodes()) cluster.launch(node);
    for (LocalCluster.Node node : cluster.nodes()) cluster.awaitReady(node);

    for (String id : List.of("catch-up-skip", "catch-up-once")) {
      // The last run before the stop: the latest tick with a task that no catch-up can have run
      // (a catch-up runs a tick missed by more than the window when the schedule started again).
      Instant lastBefore = null;
      for (Instant tick = launchedAt.minus(ON_TIME_WINDOW).truncatedTo(ChronoUnit.SECONDS); lastBefore == null;
          tick = tick.minusSeconds(1)) {
        if (taskExists(id, tick)) lastBefore = tick;
      }
      // Every run the view shows from the restart on (it lists the latest ten; read often enough,
      // none is missed), until three scheduled runs came after the catch-up, if any.
      Map<String, String> kindByTick = new java.util.TreeMap<>();
      Instant resumedFrom = launchedAt.truncatedTo(ChronoUnit.SECONDS);
      JsonNode after = awaitSchedule(id, view -> {
        view.get("recentRuns").forEach(run -> kindByTick.put(run.get("tick").asText(), run.get("kind").asText()));
        return kindByTick.entrySet().stream()
            .filter(run -> run.getValue().equals("SCHEDULED") && !Instant.parse(run.getKey()).isBefore(resumedFrom))
            .count() >= 3;
      });
      List<String> catchUps = kindByTick.entrySet().stream()
          .filter(run -> run.getValue().equals("CATCH_UP")).map(Map.Entry::getKey).toList();
      System.out.printf("RESTART: %s: last run before the stop %s, launched again at %s; catch-up runs %s%n",
          id, lastBefore, launchedAt, catchUps);
      assertTrue(Duration.between(lastBefore, launchedAt).compareTo(ON_TIME_WINDOW.plusSeconds(1)) > 0,
          "the outage must outlast the on-time window for ticks to be missed");
      for (String tick : catchUps) {
        assertTrue(Instant.parse(tick).isAfter(lastBefore),
            "a catch-up stands for a tick missed while the cluster was down, after the last run before it: " + tick);
      }
      if (id.equals("catch-up-skip")) {
        assertEquals(List.of(), catchUps, "catch-up SKIP runs none of the missed ticks");
        assertTrue(after.get("skipped").asLong() > 0, after::toString);
      } else {
        assertEquals(1, catchUps.size(), "catch-up RUN_ONCE runs once for all the missed ticks: " + catchUps);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private JsonNode create(String id, String cron, String overlap, String catchUp) throws Exception {
    String body = "{\"id\":\"" + id + "\",\"cron\":\"" + cron + "\",\"timeZone\":\"UTC\",\"overlap\":\"" + overlap
        + "\",\"catchUp\":\"" + catchUp + "\",\"task\":{\"type\":\"noop\",\"payload\":{\"schedule\":\"" + id + "\"}}}";
    HttpResponse<String> answer = cluster.post(cluster.node(1), "/api/v1/schedules", body);
    assertEquals(201, answer.statusCode(), answer.body());
    HttpResponse<String> again = cluster.post(cluster.node(2), "/api/v1/schedules", body);
    assertEquals(200, again.statusCode(), "the same schedule again is no new one: " + again.body());
    return json(answer);
  }

  /** Whether the schedule's tick at {@code tick} submitted its task (its id follows from both). */
  private boolean taskExists(String schedule, Instant tick) {
    String taskId = TaskSpec.idFor("schedule:" + schedule + ":" + ApiTime.format(tick));
    AtomicReference<Boolean> exists = new AtomicReference<>();
    LocalCluster.await("an answer about task " + taskId, SETTLE, () -> {
      int status;
      try {
        status = cluster.get(cluster.anyUp(taskId.hashCode()), "/api/v1/tasks/" + taskId).statusCode();
      } catch (Exception e) {
        return false;
      }
      if (status == 200 || status == 404) exists.set(status == 200);
      return exists.get() != null;
    });
    return exists.get();
  }

  private JsonNode awaitSchedule(String id, Predicate<JsonNode> condition) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    LocalCluster.await("schedule " + id + " (last seen: " + last + ")", SETTLE, () -> {
      JsonNode view = jsonOrNull("/api/v1/schedules/" + id);
      last.set(view);
      return view != null && condition.test(view);
    });
    return last.get();
  }

  private JsonNode awaitTask(String id, Predicate<JsonNode> condition) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    LocalCluster.await("task " + id, SETTLE, () -> {
      JsonNode view = cluster.task(cluster.anyUp(id.hashCode()), id);
      last.set(view);
      return view != null && condition.test(view);
    });
    return last.get();
  }

  private JsonNode jsonOrNull(String path) {
    try {
      HttpResponse<String> answer = cluster.get(cluster.anyUp((int) (System.nanoTime() % 3)), path);
      return answer.statusCode() == 200 ? JSON.readTree(answer.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }
}
