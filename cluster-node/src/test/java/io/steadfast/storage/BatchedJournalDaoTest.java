package io.steadfast.storage;

import static io.steadfast.testing.Waiting.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.steadfast.testing.InMemoryJournal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.apache.pekko.actor.ActorRefWithCell;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batched journal writes on a real (in-memory) H2 database through the plugin: every event
 * row and every tag row lands, each tag row on its own event, tagged and untagged writes of many
 * entities share batches, and what was written reads back the plugin's way (replay and
 * {@code eventsByTag}). The highest sequence number of an id claimed as minted ({@link MintedIds})
 * is 0 without a query, once; any other id's is the journal's.
 */
class BatchedJournalDaoTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final InMemoryJournal journal = new InMemoryJournal();
  private final ActorTestKit testKit = ActorTestKit.create(journal.config(ConfigFactory.parseString("""
      pekko.actor.allow-java-serialization = on
      pekko.actor.warn-about-java-serializer-usage = off
      """)));

  sealed interface Command {}

  /** Persists the events of each command, tagged with the command's tags; answers its state. */
  record Write(List<String> events, Set<String> tags, ActorRef<List<String>> replyTo) implements Command {}

  /** Answers the last sequence number: after a recovery that replayed nothing, the journal's highest. */
  record LastSequenceNr(ActorRef<Long> replyTo) implements Command {}

  private static Behavior<Command> entity(String id) {
    return entity(id, false);
  }

  /** Reads no snapshot and no event on recovery, but still asks the journal for the highest sequence number. */
  private static Behavior<Command> unrecovered(String id) {
    return entity(id, true);
  }

  private static Behavior<Command> entity(String id, boolean recoveryDisabled) {
    return Behaviors.setup(context -> new EventSourcedBehavior<Command, Tagged, List<String>>(PersistenceId.ofUniqueId(id)) {
      @Override
      public List<String> emptyState() {
        return new ArrayList<>();
      }

      @Override
      public Recovery recovery() {
        return recoveryDisabled ? Recovery.disabled() : super.recovery();
      }

      @Override
      public CommandHandler<Command, Tagged, List<String>> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
            .onCommand(Write.class, (state, write) ->
                Effect().persist(write.events().stream().map(e -> new Tagged(e, write.tags())).toList())
                    .thenReply(write.replyTo(), s -> List.copyOf(s)))
            .onCommand(LastSequenceNr.class, (state, ask) ->
                Effect().none().thenReply(ask.replyTo(), s -> lastSequenceNumber(context)))
            .build();
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
    });
  }

  /** A string event and the tags it is written with. */
  record Tagged(String text, Set<String> tags) implements java.io.Serializable {}

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
    journal.close();
  }

  /**
   * Not each on a pinned dispatcher, Pekko's fallback, where every write and its answer cost two
   * thread wake-ups: persistence.conf sets what the plugin's own reference.conf misplaces.
   */
  @Test
  void theJournalAndTheSnapshotStoreRunOnTheDefaultDispatcher() {
    Persistence persistence = Persistence.get(Adapter.toClassic(testKit.system()));
    String defaultDispatcher = "pekko.actor.default-dispatcher";
    assertEquals(defaultDispatcher, dispatcherOf(persistence.journalFor("", ConfigFactory.empty())));
    assertEquals(defaultDispatcher, dispatcherOf(persistence.snapshotStoreFor("", ConfigFactory.empty())));
  }

  private static String dispatcherOf(org.apache.pekko.actor.ActorRef plugin) {
    return ((ActorRefWithCell) plugin).underlying().props().dispatcher();
  }

  @Test
  void eventsAndTagsOfManyEntitiesLandAndReadBackThePluginsWay() throws Exception {
    int entities = 40;
    TestProbe<List<String>> probe = testKit.createTestProbe();
    List<ActorRef<Command>> refs = IntStream.range(0, entities).mapToObj(i -> testKit.spawn(entity("e-" + i))).toList();
    // Sent together, so that the journal's queue batches the writes of many entities at once:
    // tagged with one or two tags, and untagged, in the same batches.
    for (int i = 0; i < entities; i++) {
      refs.get(i).tell(new Write(List.of(i + "-a", i + "-b"), tagsOf(i), probe.ref()));
    }
    for (int i = 0; i < entities; i++) probe.receiveMessage(WAIT);
    for (int i = 0; i < entities; i++) refs.get(i).tell(new Write(List.of(i + "-c"), tagsOf(i), probe.ref()));
    for (int i = 0; i < entities; i++) probe.receiveMessage(WAIT);

    assertEquals(3 * entities, journal.count("SELECT COUNT(*) FROM \"event_journal\""));
    int tagRows = 0;
    for (int i = 0; i < entities; i++) tagRows += 3 * tagsOf(i).size();
    assertEquals(tagRows, journal.count("SELECT COUNT(*) FROM \"event_tag\""));
    // Every tag row points at its own event: the tags of an event are those its entity gave it.
    assertEquals(tagRows, journal.count("SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j"
        + " ON t.\"event_id\" = j.\"ordering\""));
    for (int i = 0; i < entities; i++) {
      for (String tag : tagsOf(i)) {
        assertEquals(3, journal.count("SELECT COUNT(*) FROM \"event_tag\" t JOIN \"event_journal\" j"
            + " ON t.\"event_id\" = j.\"ordering\" WHERE j.\"persistence_id\" = ? AND t.\"tag\" = ?", "e-" + i, tag));
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
    ActorRef<Command> again = testKit.spawn(entity("e-7"));
    again.tell(new Write(List.of("7-d"), Set.of(), probe.ref()));
    assertEquals(List.of("7-a", "7-b", "7-c", "7-d"), probe.receiveMessage(WAIT));
  }

  @Test
  void aClaimedIdHasNothingWrittenWithoutAQueryOnceAndAnyOtherIdHasWhatTheJournalHolds() {
    write("written", "a", "b");
    MintedIds minted = MintedIds.get(testKit.system());

    assertEquals(2, highestSequenceNr("written"), "an id never minted here");
    minted.minted("written");
    assertEquals(2, highestSequenceNr("written"), "an id minted here but not claimed by its entity");

    // A claim on an id that was written (the race MintedIds guards against) shows that the answer
    // skipped the query: the journal would have said 2.
    assertTrue(minted.claim("written"));
    assertEquals(0, highestSequenceNr("written"), "the claimed id");
    assertEquals(2, highestSequenceNr("written"), "the same id, its claim spent");
  }

  @Test
  void anEntityOnAClaimedIdWritesFromOneAndAWrongClaimFailsItsWriteLeavingTheJournalAsItWas() {
    MintedIds minted = MintedIds.get(testKit.system());
    TestProbe<List<String>> replies = testKit.createTestProbe();

    // Minted and never written: the entity writes from sequence number 1, and that is what it holds.
    minted.minted("fresh");
    assertTrue(minted.claim("fresh"));
    testKit.spawn(unrecovered("fresh")).tell(new Write(List.of("x"), Set.of(), replies.ref()));
    assertEquals(List.of("x"), replies.receiveMessage(WAIT));
    assertEquals(1, highestSequenceNr("fresh"));

    // Claimed although it was written: the write of sequence number 1 breaks the primary key and
    // fails (this entity has no restart strategy: it stops), and nothing written is overwritten.
    write("taken", "a", "b");
    minted.minted("taken");
    assertTrue(minted.claim("taken"));
    ActorRef<Command> wrong = testKit.spawn(unrecovered("taken"));
    wrong.tell(new Write(List.of("overwrite"), Set.of(), replies.ref()));
    replies.expectTerminated(wrong, WAIT);
    replies.expectNoMessage(Duration.ofMillis(100));
    assertEquals(2, journal.events("taken"));
    ActorRef<Command> again = testKit.spawn(entity("taken"));
    again.tell(new Write(List.of("c"), Set.of(), replies.ref()));
    assertEquals(List.of("a", "b", "c"), replies.receiveMessage(WAIT));
  }

  /** Writes {@code events} as the entity {@code id}, and stops it. */
  private void write(String id, String... events) {
    TestProbe<List<String>> probe = testKit.createTestProbe();
    ActorRef<Command> writer = testKit.spawn(entity(id));
    writer.tell(new Write(List.of(events), Set.of(), probe.ref()));
    probe.receiveMessage(WAIT);
    testKit.stop(writer);
  }

  /** The journal's highest sequence number of {@code id}, as an entity that recovers nothing sees it. */
  private long highestSequenceNr(String id) {
    TestProbe<Long> probe = testKit.createTestProbe();
    ActorRef<Command> entity = testKit.spawn(unrecovered(id));
    entity.tell(new LastSequenceNr(probe.ref()));
    long highest = probe.receiveMessage(WAIT);
    testKit.stop(entity);
    return highest;
  }

  /** Even entities tagged "even" (and every fourth "fourth" too), odd ones untagged. */
  private static Set<String> tagsOf(int entity) {
    Set<String> tags = new TreeSet<>();
    if (entity % 2 == 0) tags.add("even");
    if (entity % 4 == 0) tags.add("fourth");
    return tags;
  }
}
