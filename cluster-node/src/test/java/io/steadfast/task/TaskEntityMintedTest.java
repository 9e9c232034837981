package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.storage.MintedIds;
import io.steadfast.testing.InMemoryJournal;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A task entity started on an id this node minted (minted mode: it reads nothing to recover), on
 * the node's own journal (in-memory H2 through BatchedJournalDao): it takes the Submit it was
 * started for; anything else, or nothing for a while, stops it without passivating, and the next
 * incarnation recovers in full. A claim on an id that was in fact written fails its write against
 * the journal's primary key, and the task keeps its true state.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskEntityMintedTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Long enough for a passivation request, which would follow the stop at once, to arrive. */
  private static final Duration NO_PASSIVATION = Duration.ofMillis(300);

  private final InMemoryJournal journal = new InMemoryJournal();
  private final TaskEntityFixture fixture = new TaskEntityFixture(journal.config(ConfigFactory.empty()));
  private final ActorTestKit testKit = fixture.actorTestKit;
  private final MintedIds mintedIds = MintedIds.get(testKit.system());
  private int taskNumber;

  /** One incarnation of a task's entity, and the probe standing in for its shard. */
  private record Incarnation(ActorRef<TaskEntity.Command> ref, TestProbe<ClusterSharding.ShardCommand> shard) {}

  @AfterAll
  void shutdown() {
    fixture.close();
    journal.close();
  }

  @Test
  void aMintedTaskIsAcceptedAndPersisted() {
    String id = mintedId();
    Incarnation minted = start(id);

    TaskView accepted = assertInstanceOf(TaskEntity.Accepted.class, submit(minted, "first")).task();
    assertEquals(TaskStatus.PENDING, accepted.status());
    assertEquals(1, journal.events(persistenceId(id)), "Submitted, as sequence number 1");

    handOff(minted);
    TaskView read = found(start(id));
    assertEquals(accepted.createdAt(), read.createdAt());
    assertEquals("first", read.payload().get("n").asText());
  }

  @Test
  void aFirstCommandOtherThanSubmitStopsItWithoutPassivatingAndTheNextIncarnationAnswers() {
    String id = newId();
    handOff(submitted(id, "written elsewhere"));
    mintedIds.minted(persistenceId(id)); // as if minted here, and the shard moved away and back
    Incarnation minted = start(id);

    TestProbe<TaskEntity.GetReply> reply = testKit.createTestProbe();
    minted.ref().tell(new TaskEntity.Get(reply.ref()));
    reply.expectTerminated(minted.ref(), WAIT);
    reply.expectNoMessage(Duration.ZERO); // never NotFound for a task it has not read
    minted.shard().expectNoMessage(NO_PASSIVATION); // remember-entities starts it again

    assertEquals("written elsewhere", found(start(id)).payload().get("n").asText());
  }

  @Test
  void anIncarnationThatGetsNoCommandSoonAfterStartingStopsWithoutPassivating() {
    Incarnation minted = start(mintedId());

    minted.shard().expectTerminated(minted.ref(), MintedMode.FIRST_COMMAND_WITHIN.plus(WAIT));
    minted.shard().expectNoMessage(NO_PASSIVATION);
  }

  @Test
  void aClaimOnATaskAlreadyWrittenFailsItsWriteAndTheTaskKeepsItsTrueState() {
    String id = newId();
    handOff(submitted(id, "the true task"));
    int written = journal.events(persistenceId(id));
    mintedIds.minted(persistenceId(id));
    Incarnation wrong = start(id);

    TestProbe<TaskEntity.SubmitReply> reply = testKit.createTestProbe();
    // Its state is empty and the journal said 0: it writes sequence number 1, which exists.
    LoggingTestKit.error("sequence number [1] for persistenceId [" + persistenceId(id) + "]")
        .expect(testKit.system(), () -> {
          wrong.ref().tell(new TaskEntity.Submit(spec("an impostor"), reply.ref()));
          return null;
        });
    // Restarted, it finds events it has not read, and stops for an incarnation that reads them.
    reply.expectTerminated(wrong.ref(), WAIT);
    reply.expectNoMessage(Duration.ZERO);
    wrong.shard().expectNoMessage(NO_PASSIVATION);

    assertEquals(written, journal.events(persistenceId(id)), "nothing written over the task");
    TaskView read = found(start(id));
    assertEquals("the true task", read.payload().get("n").asText());
    assertEquals(TaskStatus.PENDING, read.status());
  }

  private String newId() {
    return "minted-" + (++taskNumber);
  }

  /** A new id, recorded as minted here. */
  private String mintedId() {
    String id = newId();
    mintedIds.minted(persistenceId(id));
    return id;
  }

  private static String persistenceId(String id) {
    return TaskEntity.persistenceId(id).id();
  }

  private Incarnation start(String id) {
    TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
    return new Incarnation(testKit.spawn(TaskEntity.create(id, fixture.runtime, shard.ref())), shard);
  }

  /** A task submitted through an incarnation that recovered in full (nothing minted). */
  private Incarnation submitted(String id, String n) {
    Incarnation incarnation = start(id);
    assertInstanceOf(TaskEntity.Accepted.class, submit(incarnation, n));
    return incarnation;
  }

  private TaskEntity.SubmitReply submit(Incarnation incarnation, String n) {
    TestProbe<TaskEntity.SubmitReply> reply = testKit.createTestProbe();
    incarnation.ref().tell(new TaskEntity.Submit(spec(n), reply.ref()));
    return reply.receiveMessage(WAIT);
  }

  /** Due in an hour: it stays PENDING, and no handler runs. */
  private TaskSpec spec(String n) {
    return fixture.specAt("noop", "{\"n\": \"" + n + "\"}", fixture.clock.instant().plus(Duration.ofHours(1)));
  }

  private TaskView found(Incarnation incarnation) {
    TestProbe<TaskEntity.GetReply> reply = testKit.createTestProbe();
    incarnation.ref().tell(new TaskEntity.Get(reply.ref()));
    return assertInstanceOf(TaskEntity.Found.class, reply.receiveMessage(WAIT)).task();
  }

  /** Sharding's stop message: a waiting task stops at once. */
  private void handOff(Incarnation incarnation) {
    TestProbe<Object> watcher = testKit.createTestProbe();
    incarnation.ref().tell(TaskEntity.HandOff.INSTANCE);
    watcher.expectTerminated(incarnation.ref(), WAIT);
  }
}
