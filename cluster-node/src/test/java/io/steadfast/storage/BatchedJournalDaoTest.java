package io.steadfast.storage;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batched journal writes on a real (in-memory) H2 database through the plugin: every event
 * row and every tag row lands, each tag row on its own event, tagged and untagged writes of many
 * entities share batches, and what was written reads back the plugin's way (replay and
 * {@code eventsByTag}).
 */
class BatchedJournalDaoTest {
  private final String url = "jdbc:h2:mem:journal-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
  private final ActorTestKit testKit = ActorTestKit.create(config());
  private final Connection db = open();

  /** Persists the events of each command, tagged with the command's tags; answers its state. */
  record Write(List<String> events, Set<String> tags, ActorRef<List<String>> replyTo) {}

  private static Behavior<Write> entity(String id) {
    return new EventSourcedBehavior<Write, Tagged, List<String>>(PersistenceId.ofUniqueId(id)) {
      @Override
      public List<String> emptyState() {
        return new ArrayList<>();
      }

      @Override
      public CommandHandler<Write, Tagged, List<String>> commandHandler() {
        return newCommandHandlerBuilder().forAnyState().onCommand(Write.class, (state, write) ->
            Effect().persist(write.events().stream().map(e -> new Tagged(e, write.tags())).toList())
                .thenReply(write.replyTo(), s -> List.copyOf(s))).build();
      }

      @Override
      public EventHandler<List<String>, Tagged> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onEvent(Tagged.class, (state, event) -> {
          state.add(event.text());
          return state;
        }).build();
      }

      @Override
      public Set<String> tagsFor(Tagged event) {
        return event.tags();
      }
    };
  }

  /** A string event and the tags it is written with. */
  record Tagged(String text, Set<String> tags) implements java.io.Serializable {}

  @AfterEach
  void stop() throws SQLException {
    testKit.shutdownTestKit();
    db.close();
  }

  @Test
  void eventsAndTagsOfManyEntitiesLandAndReadBackThePluginsWay() throws Exception {
    int entities = 40;
    TestProbe<List<String>> probe = testKit.createTestProbe();
    List<ActorRef<Write>> refs = IntStream.range(0, entities).mapToObj(i -> testKit.spawn(entity("e-" + i))).toList();
    // Sent together, so that the journal's queue batches the writes of many entities at once:
    // tagged with one or two tags, and untagged, in the same batches.
    for (int i = 0; i < entities; i++) {
      refs.get(i).tell(new Write(List.of(i + "-a", i + "-b"), tagsOf(i), probe.ref()));
    }
    for (int i = 0; i < entities; i++) probe.receiveMessage(Duration.ofSeconds(10));
    for (int i = 0; i < entities; i++) refs.get(i).tell(new Write(List.of(i + "-c"), tagsOf(i), probe.ref()));
    for (int i = 0; i < entities; i++) probe.receiveMessage(Duration.ofSeconds(10));

    assertEquals(3 * entities, count("SELECT COUNT(*) FROM \"event_journal\""));
    int tagRows = 0;
    for (int i = 0; i < entities; i++) tagRows += 3 * tagsOf(i).size();
    assertEquals(tagRows, count("SELECT COUNT(*) FROM \"event_tag\""));
    // Every tag row points at its own event: the tags of an event are those its entity gave it.
    assertEquals(tagRows, count("SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j"
        + " ON t.\"event_id\" = j.\"ordering\""));
    for (int i = 0; i < entities; i++) {
      for (String tag : tagsOf(i)) {
        assertEquals(3, count("SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j ON t.\"event_id\" = j.\"ordering\""
            + " WHERE j.\"persistence_id\" = 'e-" + i + "' AND t.\"tag\" = '" + tag + "'"));
      }
    }

    // The read journal finds each tag's events, in each entity's order.
    JdbcReadJournal reads = PersistenceQuery.get(testKit.system()).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<EventEnvelope> evenTagged = reads.currentEventsByTag("even", Offset.noOffset())
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get();
    assertEquals(3 * (entities / 2), evenTagged.size());
    List<String> ofEntity2 = evenTagged.stream().filter(e -> e.persistenceId().equals("e-2"))
        .map(e -> ((Tagged) e.event()).text()).toList();
    assertEquals(List.of("2-a", "2-b", "2-c"), ofEntity2);

    // Every write counted into the node's journal backlog is counted out once written.
    JournalBacklog backlog = JournalBacklog.get(testKit.system());
    assertEquals(1000, backlog.capacity());
    waitFor("the journal backlog back to 0").until(backlog::queued, queued -> queued == 0);

    // A new incarnation replays what was written.
    ActorRef<Write> again = testKit.spawn(entity("e-7"));
    again.tell(new Write(List.of("7-d"), Set.of(), probe.ref()));
    assertEquals(List.of("7-a", "7-b", "7-c", "7-d"), probe.receiveMessage(Duration.ofSeconds(10)));
  }

  /** Even entities tagged "even" (and every fourth "fourth" too), odd ones untagged. */
  private static Set<String> tagsOf(int entity) {
    Set<String> tags = new TreeSet<>();
    if (entity % 2 == 0) tags.add("even");
    if (entity % 4 == 0) tags.add("fourth");
    return tags;
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

  private Config config() {
    try {
      JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(5));
    } catch (SQLException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
    return ConfigFactory.parseString("""
            pekko.actor.allow-java-serialization = on
            pekko.actor.warn-about-java-serializer-usage = off
            """)
        .withFallback(ConfigFactory.parseResources("persistence.conf"))
        .withValue("steadfast.db.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("steadfast.db.user", ConfigValueFactory.fromAnyRef("sa"))
        .withValue("steadfast.db.password", ConfigValueFactory.fromAnyRef(""))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
