package io.steadfast.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.TaskPage;
import io.steadfast.protocol.api.TaskSummary;
import io.steadfast.protocol.api.ThroughputView;
import io.steadfast.storage.DatabaseKind;
import io.steadfast.storage.JournalSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The read side's listing and throughput on a real (in-memory) H2 database: filters, keyset
 * pages that together hold every matching task once, and buckets of ended tasks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadSideQueriesTest {
  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
  private static final int TASKS = 1_000;

  private ReadSideQueries queries;

  @BeforeAll
  void fill() throws Exception {
    String url = "jdbc:h2:mem:queries-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
    JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(5));
    JdbcDataSource dataSource = new JdbcDataSource();
    dataSource.setURL(url);
    dataSource.setUser("sa");
    // Task i: created i seconds before NOW (two per second share a time, to page through ties),
    // type noop or sleep by parity, SUCCEEDED ending at its creation unless i % 10 == 0 (RUNNING).
    try (Connection c = dataSource.getConnection();
        PreparedStatement insert = c.prepareStatement("INSERT INTO \"task_summary\" (\"task_id\", \"type\", \"status\","
            + " \"priority\", \"attempts\", \"created_at\", \"updated_at\", \"first_attempt_at\", \"ended_at\")"
            + " VALUES (?, ?, ?, 5, 1, ?, ?, ?, ?)")) {
      for (int i = 0; i < TASKS; i++) {
        long created = NOW.toEpochMilli() - (i / 2) * 1000L;
        boolean running = i % 10 == 0;
        insert.setString(1, String.format("task-%04d", i));
        insert.setString(2, i % 2 == 0 ? "noop" : "sleep");
        insert.setString(3, running ? "RUNNING" : "SUCCEEDED");
        insert.setLong(4, created);
        insert.setLong(5, created);
        insert.setLong(6, created);
        if (running) insert.setNull(7, java.sql.Types.BIGINT);
        else insert.setLong(7, created);
        insert.addBatch();
      }
      insert.executeBatch();
    }
    queries = new ReadSideQueries(dataSource, Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @Test
  void keysetPagesHoldEveryMatchingTaskOnceNewestFirst() throws Exception {
    TaskFilter sleeping = new TaskFilter(TaskStatus.SUCCEEDED, "sleep", null, null, null);
    List<TaskSummary> all = new ArrayList<>();
    ReadSideQueries.Cursor cursor = null;
    int pages = 0;
    do {
      TaskPage page = queries.tasks(sleeping, 37, cursor).toCompletableFuture().get();
      all.addAll(page.tasks());
      cursor = page.nextCursor() == null ? null : ReadSideQueries.Cursor.parse(page.nextCursor());
      pages++;
    } while (cursor != null);
    assertEquals(TASKS / 2, all.size(), "every odd task is a SUCCEEDED sleep");
    assertEquals(all.size(), all.stream().map(TaskSummary::id).distinct().count(), "no task on two pages");
    assertEquals((TASKS / 2 + 36) / 37, pages);
    for (int i = 1; i < all.size(); i++) {
      assertEquals(true, all.get(i - 1).createdAt().compareTo(all.get(i).createdAt()) >= 0, "newest first");
    }
  }

  @Test
  void createdBetweenTakesTheStartAndLeavesTheEnd() throws Exception {
    long from = NOW.toEpochMilli() - 10_000;
    TaskFilter tenSeconds = new TaskFilter(null, null, from, NOW.toEpochMilli(), null);
    TaskPage page = queries.tasks(tenSeconds, 1000, null).toCompletableFuture().get();
    // Seconds -10 .. -1, two tasks each: tasks 2..21.
    assertEquals(20, page.tasks().size());
    assertEquals("task-0020", page.tasks().get(page.tasks().size() - 1).id(), "the oldest second, lower id last");
    assertNull(page.nextCursor());
  }

  @Test
  void aSearchByIdFindsThatTaskAlone() throws Exception {
    TaskPage page = queries.tasks(new TaskFilter(null, null, null, null, "task-0007"), 50, null).toCompletableFuture().get();
    assertEquals(List.of("task-0007"), page.tasks().stream().map(TaskSummary::id).toList());
    TaskPage none = queries.tasks(new TaskFilter(null, null, null, null, "no-such-task"), 50, null).toCompletableFuture().get();
    assertEquals(List.of(), none.tasks());
  }

  @Test
  void throughputCountsEndedTasksPerBucketWithEveryBucketPresent() throws Exception {
    ThroughputView view = queries.throughput(Duration.ofMinutes(1), Duration.ofSeconds(10)).toCompletableFuture().get();
    assertEquals(10, view.bucketSeconds());
    assertEquals(6, view.buckets().size());
    // The last bucket starts at NOW and holds the tasks created (and ended) at NOW: tasks 0 and 1,
    // of which task 0 still runs. Each earlier bucket holds 10 s x 2 tasks, less the running tenth.
    assertEquals("2030-01-01T12:00:00.000Z", view.buckets().get(5).start());
    assertEquals(1, view.buckets().get(5).succeeded());
    assertEquals("2030-01-01T11:59:50.000Z", view.buckets().get(4).start());
    assertEquals(18, view.buckets().get(4).succeeded());
    assertEquals(0, view.buckets().get(4).deadLettered());
  }
}
