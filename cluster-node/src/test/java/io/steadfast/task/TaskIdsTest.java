package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.UUIDClock;
import io.steadfast.storage.MintedIds;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Ids minted for key-less tasks: version 7, in the order minted, and on a shard of this node while
 * the shards are known and this node keeps the type's tasks; anywhere otherwise. And when a node
 * keeps them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TaskIdsTest {
  private static final int SHARDS = 60;
  private static final HashCodeMessageExtractor<TaskEntity.Command> SHARDING = new HashCodeMessageExtractor<>(SHARDS);
  /** Half the shards, every other one. */
  private static final Set<String> EVEN_SHARDS =
      IntStream.range(0, SHARDS / 2).mapToObj(i -> String.valueOf(2 * i)).collect(Collectors.toUnmodifiableSet());

  private final ActorTestKit testKit = ActorTestKit.create();
  private final MintedIds mintedIds = MintedIds.get(testKit.system());
  private final ManualUuidClock clock = new ManualUuidClock();
  private final AtomicReference<Set<String>> localShards = new AtomicReference<>();
  private final AtomicBoolean keep = new AtomicBoolean();
  private final TaskIds taskIds = new TaskIds(
      Generators.timeBasedEpochGenerator(new Random(7), clock), SHARDING::shardId, localShards::get,
      type -> keep.get(), mintedIds);

  /** Moves only when told to. */
  static final class ManualUuidClock extends UUIDClock {
    private volatile long millis = 1_750_000_000_000L;

    void tick() {
      millis++;
    }

    @Override
    public long currentTimeMillis() {
      return millis;
    }
  }

  @BeforeEach
  void halfTheShardsHereKept() {
    localShards.set(EVEN_SHARDS);
    keep.set(true);
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void idsAreVersion7AndSortInTheOrderTheyWereMinted() {
    List<String> minted = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      minted.add(taskIds.mint("noop")); // several in the same millisecond, as under load
      if (i % 5 == 0) clock.tick();
    }
    localShards.set(Set.of());
    for (int i = 0; i < 10; i++) minted.add(taskIds.mint("noop"));

    for (String id : minted) assertEquals(7, UUID.fromString(id).version(), id);
    assertEquals(minted.stream().sorted().toList(), minted, "as strings, as the journal's keys sort them");
  }

  @Test
  void whileKeptHereEveryIdFallsOnALocalShardAndIsRecordedAsMinted() {
    List<String> ids = mintEach(200);

    for (String id : ids) {
      assertTrue(EVEN_SHARDS.contains(SHARDING.shardId(id)), id + " is on shard " + SHARDING.shardId(id));
      assertTrue(mintedIds.claim(TaskEntity.persistenceId(id).id()), id + " recorded as minted");
    }
    Set<String> used = ids.stream().map(SHARDING::shardId).collect(Collectors.toSet());
    assertEquals(EVEN_SHARDS, used, "spread over every local shard");
  }

  @Test
  void notKeptHereIdsFallAnywhereAndAreNotRecorded() {
    keep.set(false);
    assertFallsAnywhereUnrecorded(mintEach(200));
  }

  @Test
  void beforeTheLocalShardsAreKnownIdsFallAnywhereAndAreNotRecorded() {
    localShards.set(Set.of());
    assertFallsAnywhereUnrecorded(mintEach(200));
  }

  @Test
  void whenNoDrawFallsOnALocalShardTheLastIsTakenUnrecorded() {
    localShards.set(Set.of(String.valueOf(SHARDS))); // a shard no id falls on
    assertFallsAnywhereUnrecorded(mintEach(50));
  }

  @Test
  void aSettledIdIsNoLongerRecorded() {
    String id = taskIds.mint("noop");
    taskIds.settled(id);
    assertFalse(mintedIds.claim(TaskEntity.persistenceId(id).id()));
  }

  @Test
  void aNodeKeepsItsTasksWhileNoMoreWaitHereThanFourTimesAsManyAsOnTheLeastBusyOtherMemberPlusItsSlots() {
    assertTrue(TaskIds.keepsHere(0, 16, OptionalInt.of(0)), "all idle");
    assertTrue(TaskIds.keepsHere(300, 16, OptionalInt.of(120)), "an evenly spread load, all saturated");
    assertTrue(TaskIds.keepsHere(16, 16, OptionalInt.of(0)), "ahead by one bulkhead's worth");
    assertFalse(TaskIds.keepsHere(17, 16, OptionalInt.of(0)), "ahead by more, another idle: a client sends this node more than its share");
    assertTrue(TaskIds.keepsHere(176, 16, OptionalInt.of(40)));
    assertFalse(TaskIds.keepsHere(177, 16, OptionalInt.of(40)), "another member has room for them sooner");
  }

  @Test
  void withNoWordFromAnyOtherMemberANodeKeepsItsTasksOnlyWhileNoneWait() {
    assertTrue(TaskIds.keepsHere(0, 16, OptionalInt.empty()));
    assertFalse(TaskIds.keepsHere(1, 16, OptionalInt.empty()));
  }

  /** One id per millisecond, each from a fresh random start, as at a moderate rate. */
  private List<String> mintEach(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      clock.tick();
      ids.add(taskIds.mint("noop"));
    }
    return ids;
  }

  private void assertFallsAnywhereUnrecorded(List<String> ids) {
    for (String id : ids) assertFalse(mintedIds.claim(TaskEntity.persistenceId(id).id()), id + " recorded");
    assertTrue(ids.stream().anyMatch(id -> !EVEN_SHARDS.contains(SHARDING.shardId(id))), "all on even shards");
  }
}
