package io.steadfast.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.steadfast.testing.InMemoryJournal;
import io.steadfast.protocol.CborSerializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The wake-up index on a real (in-memory) H2 database: the journal's DAO writes and removes its
 * entries in the transaction that writes the events (a write that fails leaves neither), applies
 * a batch's rows in order, and the backfill fills it once from a journal written without it.
 */
class WakeIndexTest {
  private static final String PREFIX = "T|";
  private static final String OPEN = "open";
  private static final String CLOSE = "close";
  private static final String OTHER = "other";

  private final InMemoryJournal journal = new InMemoryJournal();
  private final String url = journal.url();
  private final ActorTestKit testKit =
      ActorTestKit.create(journal.config(ConfigFactory.parseResources("serialization.conf")));
  private final Connection db = open();

  /** Shards as the length of the id, except that {@code T|bad} has none the table takes. */
  private static int shardOf(String persistenceId) {
    return persistenceId.equals("T|bad") ? -1 : persistenceId.length() % 7;
  }

  private static final WakeIndex.Registration REGISTRATION =
      new WakeIndex.Registration(PREFIX, Set.of(OPEN), Set.of(CLOSE), WakeIndexTest::shardOf);

  @AfterEach
  void stop() throws SQLException {
    testKit.shutdownTestKit();
    db.close();
    journal.close();
  }

  // ---------------------------------------------------------------- through the journal plugin

  /** Events written by Jackson, whose manifest (event_ser_manifest) is the class name. */
  public record Opened(String note) implements CborSerializable {}

  public record Stepped(String note) implements CborSerializable {}

  public record Closed(String note) implements CborSerializable {}

  record Persist(List<CborSerializable> events, ActorRef<Integer> replyTo) {}

  private static Behavior<Persist> entity(String persistenceId) {
    return new EventSourcedBehavior<Persist, CborSerializable, Integer>(PersistenceId.ofUniqueId(persistenceId)) {
      @Override
      public Integer emptyState() {
        return 0;
      }

      @Override
      public CommandHandler<Persist, CborSerializable, Integer> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onCommand(Persist.class, (state, persist) ->
            Effect().persist(persist.events()).thenReply(persist.replyTo(), s -> s)).build();
      }

      @Override
      public EventHandler<Integer, CborSerializable> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
      }

      @Override
      public Set<String> tagsFor(CborSerializable event) {
        return Set.of("t");
      }
    };
  }

  @Test
  void anEntityIsIndexedFromTheEventThatOpensItToTheOneThatClosesIt() throws Exception {
    WakeIndex.get(testKit.system()).register(new WakeIndex.Registration(
        PREFIX, Set.of(Opened.class.getName()), Set.of(Closed.class.getName()), WakeIndexTest::shardOf));
    TestProbe<Integer> probe = testKit.createTestProbe();
    ActorRef<Persist> a = testKit.spawn(entity("T|a"));
    ActorRef<Persist> other = testKit.spawn(entity("X|a")); // not covered by the index

    a.tell(new Persist(List.of(new Opened("o")), probe.ref()));
    other.tell(new Persist(List.of(new Opened("o")), probe.ref()));
    probe.receiveSeveralMessages(2, Duration.ofSeconds(10));
    assertEquals(Map.of("T|a", shardOf("T|a")), index());

    a.tell(new Persist(List.of(new Stepped("s"), new Stepped("s")), probe.ref()));
    probe.receiveMessage(Duration.ofSeconds(10));
    assertEquals(Map.of("T|a", shardOf("T|a")), index(), "an event that neither opens nor closes changes nothing");

    a.tell(new Persist(List.of(new Stepped("s"), new Closed("c")), probe.ref()));
    probe.receiveMessage(Duration.ofSeconds(10));
    assertEquals(Map.of(), index());

    a.tell(new Persist(List.of(new Opened("o")), probe.ref())); // reopened (a redrive)
    probe.receiveMessage(Duration.ofSeconds(10));
    assertEquals(Map.of("T|a", shardOf("T|a")), index());
    assertEquals(6, count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = 'T|a'"));
  }

  // ---------------------------------------------------------------- the DAO, batch by batch

  @Test
  void aBatchIsAppliedInTheOrderOfItsRows() throws Exception {
    WakeIndex.get(testKit.system()).register(REGISTRATION);
    BatchedJournalDao dao = dao();
    write(dao, row("T|c", 1, OPEN), row("T|e", 1, OPEN));
    write(dao,
        row("T|a", 1, OPEN), row("T|a", 2, OTHER), row("T|a", 3, CLOSE), // opened and closed in one batch
        row("T|b", 1, OPEN), row("T|b", 2, CLOSE), row("T|b", 3, OPEN), // closed and reopened
        row("T|nothing", 1, CLOSE), // a close with no entry: nothing to remove
        row("T|c", 2, OPEN), // an open of an entry already there: an upsert
        row("T|e", 2, CLOSE),
        row("X|d", 1, OPEN)); // not indexed
    assertEquals(Map.of("T|b", shardOf("T|b"), "T|c", shardOf("T|c")), index());
    assertEquals(12, count("SELECT COUNT(*) FROM \"event_journal\""));
  }

  @Test
  void aWriteThatFailsLeavesNeitherItsEventsNorItsIndexEntries() throws Exception {
    WakeIndex.get(testKit.system()).register(REGISTRATION);
    BatchedJournalDao dao = dao();
    write(dao, row("T|pinned", 1, OPEN), row("T|kept", 1, OPEN));
    // The entry of T|pinned cannot be removed (a row elsewhere refers to it): the index's own
    // statements are the last of the transaction, so everything before them must roll back too.
    try (Statement statement = db.createStatement()) {
      statement.execute("CREATE TABLE \"pin\" (\"persistence_id\" VARCHAR(255) REFERENCES \"task_open\" (\"persistence_id\"))");
      statement.execute("INSERT INTO \"pin\" VALUES ('T|pinned')");
    }
    ExecutionException failed = assertThrows(ExecutionException.class, () -> write(dao,
        row("T|new", 1, OPEN), row("T|kept", 2, CLOSE), row("T|pinned", 2, CLOSE)));
    assertEquals(BatchedJournalDao.JournalWriteException.class, failed.getCause().getClass());
    assertEquals(Map.of("T|pinned", shardOf("T|pinned"), "T|kept", shardOf("T|kept")), index());
    assertEquals(2, count("SELECT COUNT(*) FROM \"event_journal\""));

    // An entry the table refuses (no shard it takes) fails the events with it.
    try (Statement statement = db.createStatement()) {
      statement.execute("ALTER TABLE \"task_open\" ADD CONSTRAINT \"shard_known\" CHECK (\"shard\" >= 0)");
    }
    assertThrows(ExecutionException.class, () -> write(dao, row("T|other", 1, OPEN), row("T|bad", 1, OPEN)));
    assertEquals(Map.of("T|pinned", shardOf("T|pinned"), "T|kept", shardOf("T|kept")), index());
    assertEquals(2, count("SELECT COUNT(*) FROM \"event_journal\""));

    // A failed event insert (that event number is taken) writes no entry either.
    assertThrows(ExecutionException.class, () -> write(dao, row("T|late", 1, OPEN), row("T|kept", 1, OTHER)));
    assertEquals(Map.of("T|pinned", shardOf("T|pinned"), "T|kept", shardOf("T|kept")), index());
  }

  @Test
  void nothingIsIndexedBeforeARegistration() throws Exception {
    BatchedJournalDao dao = dao();
    write(dao, row("T|a", 1, OPEN));
    assertEquals(Map.of(), index());
  }

  @Test
  void theIndexTellsEachShardsOpenEntitiesAndOneOfEach() throws Exception {
    WakeIndex.get(testKit.system()).register(REGISTRATION);
    write(dao(), row("T|a", 1, OPEN), row("T|b", 1, OPEN), row("T|cc", 1, OPEN), row("T|dd", 1, OPEN),
        row("T|eee", 1, OPEN));
    org.h2.jdbcx.JdbcDataSource dataSource = new org.h2.jdbcx.JdbcDataSource();
    dataSource.setURL(url);
    dataSource.setUser("sa");
    WakeIndexReads reads = new WakeIndexReads(dataSource);
    Map<Integer, List<String>> open = new TreeMap<>(reads.openIn(Set.of(3, 4, 6)));
    open.values().forEach(ids -> ids.sort(null));
    assertEquals(Map.of(3, List.of("T|a", "T|b"), 4, List.of("T|cc", "T|dd")), open);
    assertEquals(Map.of(3, "T|a", 4, "T|cc", 5, "T|eee"), reads.onePerShard());
    assertEquals(Map.of(), reads.openIn(Set.of()));
  }

  // ---------------------------------------------------------------- the backfill

  @Test
  void theBackfillIndexesTheOpenEntitiesOfAJournalWrittenWithoutItOnce() throws Exception {
    BatchedJournalDao dao = dao(); // no registration yet: the journal of a version before the index
    write(dao,
        row("T|open", 1, OPEN), row("T|open", 2, OTHER),
        row("T|closed", 1, OPEN), row("T|closed", 2, OTHER), row("T|closed", 3, CLOSE),
        row("T|reopened", 1, OPEN), row("T|reopened", 2, CLOSE), row("T|reopened", 3, OPEN), row("T|reopened", 4, OTHER),
        row("T|closed_too", 1, OPEN), row("T|closed_too", 2, CLOSE),
        row("Tx|not-ours", 1, OPEN), row("X|other", 1, OPEN));
    assertEquals(Map.of(), index());

    assertEquals(2, WakeIndexBackfill.run(DatabaseKind.H2, open(), REGISTRATION));
    Map<String, Integer> filled = Map.of("T|open", shardOf("T|open"), "T|reopened", shardOf("T|reopened"));
    assertEquals(filled, index());

    // Done once: a later start only reads the marker, whatever the journal holds by then.
    write(dao, row("T|later", 1, OPEN));
    assertEquals(-1, WakeIndexBackfill.run(DatabaseKind.H2, open(), REGISTRATION));
    assertEquals(filled, index());
  }

  @Test
  void theBackfillOfANewDatabaseWritesNothing() throws Exception {
    WakeIndex.get(testKit.system()).register(REGISTRATION);
    assertEquals(0, WakeIndexBackfill.run(DatabaseKind.H2, open(), REGISTRATION));
    write(dao(), row("T|a", 1, OPEN));
    assertEquals(-1, WakeIndexBackfill.run(DatabaseKind.H2, open(), REGISTRATION));
    assertEquals(Map.of("T|a", shardOf("T|a")), index());
  }

  @Test
  void aBackfillInProgressHoldsTheOtherNodesBackfillUntilDone() throws Exception {
    Connection first = open();
    first.setAutoCommit(false);
    try (Statement statement = first.createStatement()) {
      statement.executeQuery("SELECT \"done\" FROM \"task_open_backfill\" WHERE \"id\" = 1 FOR UPDATE").close();
    }
    // Another node's backfill waits for the lock rather than reading a journal being filled.
    var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try (Connection connection = open()) {
        return WakeIndexBackfill.run(DatabaseKind.H2, connection, REGISTRATION);
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThrows(java.util.concurrent.TimeoutException.class, () -> second.get(300, TimeUnit.MILLISECONDS));
    try (Statement statement = first.createStatement()) {
      statement.executeUpdate("UPDATE \"task_open_backfill\" SET \"done\" = TRUE WHERE \"id\" = 1");
    }
    first.commit();
    first.close();
    assertEquals(-1, second.get(10, TimeUnit.SECONDS));
  }

  @Test
  void theSchemaScriptKeepsTheBackfillMarkerAcrossStarts() throws Exception {
    try (Statement statement = db.createStatement()) {
      statement.executeUpdate("UPDATE \"task_open_backfill\" SET \"done\" = TRUE WHERE \"id\" = 1");
    }
    JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(5));
    assertEquals(1, count("SELECT COUNT(*) FROM \"task_open_backfill\" WHERE \"done\""));
    assertEquals(1, count("SELECT COUNT(*) FROM \"task_open_backfill\""));
  }

  @Test
  void likePatternsEscapeWildcards() {
    assertEquals("Task|%", WakeIndexBackfill.likePrefix("Task|"));
    assertEquals("a!_b!%c!!%", WakeIndexBackfill.likePrefix("a_b%c!"));
  }

  // ---------------------------------------------------------------- helpers

  private BatchedJournalDao dao() {
    Config config = testKit.system().settings().config();
    var classic = Adapter.toClassic(testKit.system());
    SlickDatabase slick = ((SlickExtensionImpl) SlickExtension.get(classic)).database(config.getConfig("jdbc-journal"));
    return new BatchedJournalDao(slick.database(), slick.profile(), new JournalConfig(config.getConfig("jdbc-journal")),
        SerializationExtension.get(classic), testKit.system().executionContext(), Materializer.matFromSystem(classic));
  }

  private static JournalPekkoSerializationRow row(String persistenceId, long sequenceNumber, String manifest) {
    return new JournalPekkoSerializationRow(
        Long.MIN_VALUE, false, persistenceId, sequenceNumber, "test", 0L, "", new byte[] {1}, 4, manifest,
        Option.empty(), Option.empty(), Option.empty());
  }

  /** Writes {@code rows} as one batch, untagged; throws what the write failed with. */
  private static void write(BatchedJournalDao dao, JournalPekkoSerializationRow... rows) throws Exception {
    List<Tuple2<JournalPekkoSerializationRow, scala.collection.immutable.Set<String>>> batch = new ArrayList<>();
    for (JournalPekkoSerializationRow row : rows) {
      batch.add(new Tuple2<>(row, scala.collection.immutable.Set$.MODULE$.<String>empty()));
    }
    FutureConverters.asJava(dao.writeJournalRows(CollectionConverters.asScala(batch).toList()))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private Map<String, Integer> index() throws SQLException {
    Map<String, Integer> entries = new TreeMap<>();
    try (Statement statement = db.createStatement();
        ResultSet rows = statement.executeQuery("SELECT \"persistence_id\", \"shard\" FROM \"task_open\"")) {
      while (rows.next()) entries.put(rows.getString(1), rows.getInt(2));
    }
    return entries;
  }

  private int count(String sql) throws SQLException {
    try (Statement statement = db.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getInt(1);
    }
  }

  private Connection open() {
    try {
      return DriverManager.getConnection(url, "sa", "");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
