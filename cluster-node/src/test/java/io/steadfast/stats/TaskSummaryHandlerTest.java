package io.steadfast.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.storage.DatabaseKind;
import io.steadfast.storage.JournalSchema;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskSpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/**
 * The read side's rows and counters on a real (in-memory) H2 database: a group of events folded
 * into one write per task must leave exactly what the same events leave one group at a time.
 */
class TaskSummaryHandlerTest {
  private static final String SLICE = "task-0";
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final RetryPolicy POLICY =
      new RetryPolicy(RetryPolicy.Strategy.FIXED, 10, 1.0, 1000, RetryPolicy.Jitter.NONE, 0.0, 2);
  private static final TaskError FLAKY = new TaskError("FLAKY", "failed", true);

  /** One task's events, as its entity persists them. */
  private record History(String taskId, List<TaskEntity.Event> events) {}

  private final List<History> histories = List.of(
      // A noop: submitted, run once, succeeded.
      new History(id(), List.of(
          submitted("noop", 5, 0),
          new TaskEntity.AttemptStarted(1, "n1", at(1)),
          new TaskEntity.AttemptSucceeded(1, JsonNodeFactory.instance.objectNode(), at(2)))),
      // A flaky task: fails, retries, is dead-lettered, filed, redriven and then succeeds.
      new History(id(), List.of(
          submitted("flaky", 9, 0),
          new TaskEntity.AttemptStarted(1, "n1", at(1)),
          new TaskEntity.AttemptFailed(1, AttemptOutcome.FAILED, FLAKY, at(20), true, at(2)),
          new TaskEntity.CheckpointRecorded(1, JsonNodeFactory.instance.objectNode(), at(3)),
          new TaskEntity.AttemptStarted(2, "n2", at(20)),
          new TaskEntity.AttemptFailed(2, AttemptOutcome.FAILED, FLAKY, null, true, at(21)),
          new TaskEntity.DeadLettered("attempts exhausted", at(21)),
          new TaskEntity.DeadLetterFiled(at(22)),
          new TaskEntity.Redriven(null, at(30)),
          new TaskEntity.AttemptStarted(3, "n1", at(31)),
          new TaskEntity.AttemptSucceeded(3, JsonNodeFactory.instance.objectNode(), at(32)))),
      // Deferred by an open breaker, then cancelled while waiting.
      new History(id(), List.of(
          submitted("email", 0, 0),
          new TaskEntity.Deferred(at(60), "breaker open", at(1)),
          new TaskEntity.Cancelled(at(5)))),
      // Still running: no end yet.
      new History(id(), List.of(
          submitted("sleep", 5, 0),
          new TaskEntity.AttemptStarted(1, "n3", at(4)))),
      // Dead-lettered by a permanent error, then redriven: waiting again, no longer ended.
      new History(id(), List.of(
          submitted("payment", 7, 0),
          new TaskEntity.AttemptStarted(1, "n2", at(1)),
          new TaskEntity.AttemptFailed(1, AttemptOutcome.FAILED, new TaskError("DECLINED", "no", false), null, true, at(2)),
          new TaskEntity.DeadLettered("permanent failure: DECLINED", at(2)),
          new TaskEntity.Redriven(null, at(9)))));

  @Test
  void aGroupFoldedIntoOneWritePerTaskLeavesWhatOneEventAtATimeLeaves() throws Exception {
    Map<String, String> oneAtATime = project(database(), interleaved().stream().map(List::of).toList());
    Map<String, String> oneGroup = project(database(), List.of(interleaved()));
    Map<String, String> inTwoGroups = project(database(), halves(interleaved()));

    assertEquals(oneAtATime, oneGroup);
    assertEquals(oneAtATime, inTwoGroups);
  }

  @Test
  void rowsAndCountersShowEachTasksLastState() throws Exception {
    Map<String, String> rows = project(database(), List.of(interleaved()));

    String noop = histories.get(0).taskId();
    String flaky = histories.get(1).taskId();
    String cancelled = histories.get(2).taskId();
    String running = histories.get(3).taskId();
    // type, status, priority, attempts, created_at, updated_at, first_attempt_at, ended_at
    assertEquals(row("noop", "SUCCEEDED", 5, 1, 0, 2, 1, 2L), rows.get(noop));
    assertEquals(row("flaky", "SUCCEEDED", 9, 3, 0, 32, 1, 32L), rows.get(flaky), "a redrive's success ends it again");
    assertEquals(row("email", "CANCELLED", 0, 0, 0, 5, null, 5L), rows.get(cancelled));
    assertEquals(row("sleep", "RUNNING", 5, 1, 0, 4, 4, null), rows.get(running));
    assertEquals(row("payment", "PENDING", 7, 1, 0, 9, 1, null), rows.get(histories.get(4).taskId()), "a redrive clears the end");

    assertEquals("1", rows.get("counter noop succeeded"));
    assertEquals("3", rows.get("counter flaky attempts"));
    assertEquals("2", rows.get("counter flaky error:FLAKY"));
    assertEquals("1", rows.get("counter flaky retried"));
    assertEquals("1", rows.get("counter flaky redriven"));
    assertEquals("1", rows.get("counter flaky deadLettered"));
    assertEquals("1", rows.get("counter email deferred"));
    assertEquals("1", rows.get("counter email cancelled"));
    assertEquals("1", rows.get("counter sleep submitted"));
  }

  /** Runs {@code groups} through the handler, a transaction each; answers every row and counter. */
  private Map<String, String> project(JdbcDataSource database, List<List<EventEnvelope<TaskEntity.Event>>> groups)
      throws Exception {
    TaskSummaryHandler handler = new TaskSummaryHandler(SLICE, DatabaseKind.H2);
    for (List<EventEnvelope<TaskEntity.Event>> group : groups) {
      ReadSideSession session = new ReadSideSession(database);
      try {
        handler.process(session, group);
        session.commit();
      } finally {
        session.close();
      }
    }
    Map<String, String> rows = new TreeMap<>();
    try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("SELECT * FROM \"task_summary\"")) {
        while (r.next()) {
          rows.put(r.getString("task_id"), row(r.getString("type"), r.getString("status"), r.getInt("priority"),
              r.getInt("attempts"), seconds(r, "created_at"), seconds(r, "updated_at"), seconds(r, "first_attempt_at"),
              seconds(r, "ended_at")));
        }
      }
      try (ResultSet r = s.executeQuery("SELECT * FROM \"task_counter\"")) {
        while (r.next()) rows.put("counter " + r.getString("type") + " " + r.getString("name"), r.getString("value"));
      }
    }
    return rows;
  }

  /** The histories' events interleaved task by task, as tasks running side by side write them. */
  private List<EventEnvelope<TaskEntity.Event>> interleaved() {
    List<EventEnvelope<TaskEntity.Event>> envelopes = new ArrayList<>();
    int longest = histories.stream().mapToInt(h -> h.events().size()).max().orElse(0);
    long offset = 0;
    for (int i = 0; i < longest; i++) {
      for (History history : histories) {
        if (i >= history.events().size()) continue;
        offset++;
        envelopes.add(EventEnvelope.create(
            Offset.sequence(offset), "Task|" + history.taskId(), i + 1, history.events().get(i), 0L));
      }
    }
    return envelopes;
  }

  private static List<List<EventEnvelope<TaskEntity.Event>>> halves(List<EventEnvelope<TaskEntity.Event>> all) {
    int half = all.size() / 2;
    return List.of(all.subList(0, half), all.subList(half, all.size()));
  }

  private static JdbcDataSource database() throws SQLException, InterruptedException {
    String url = "jdbc:h2:mem:summary-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
    JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(5));
    JdbcDataSource dataSource = new JdbcDataSource();
    dataSource.setURL(url);
    dataSource.setUser("sa");
    return dataSource;
  }

  private static TaskEntity.Submitted submitted(String type, int priority, int second) {
    return new TaskEntity.Submitted(
        new TaskSpec(type, JsonNodeFactory.instance.objectNode(), null, POLICY, 60_000, priority, null), at(second));
  }

  private static String row(String type, String status, int priority, int attempts, Object createdAt, Object updatedAt,
      Object firstAttemptAt, Object endedAt) {
    return String.join(" ", type, status, "p" + priority, "a" + attempts, "created=" + createdAt,
        "updated=" + updatedAt, "first=" + firstAttemptAt, "ended=" + endedAt);
  }

  /** Seconds after T0, or null. */
  private static Long seconds(ResultSet r, String column) throws SQLException {
    long millis = r.getLong(column);
    return r.wasNull() ? null : (millis - T0.toEpochMilli()) / 1000;
  }

  private static Instant at(int second) {
    return T0.plusSeconds(second);
  }

  private static String id() {
    return UUID.randomUUID().toString();
  }
}
