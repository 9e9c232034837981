package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.steadfast.testing.Waiting;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The waker's decisions, with the shard region and the wake-up index stood in for: which tasks it
 * starts, when, and that it starts them once per shard's stay on this node.
 */
class TaskWakerTest {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration HOUR = Duration.ofHours(1);

  private final ActorTestKit testKit = ActorTestKit.create();
  private final TestProbe<String> started = testKit.createTestProbe();
  private final AtomicReference<TaskWaker.Hosted> hosted = new AtomicReference<>(hosted(Map.of()));
  private final AtomicInteger polls = new AtomicInteger();
  private final Index index = new Index();

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** The index: each shard's open tasks; a read can be made to fail. */
  static final class Index implements TaskWaker.OpenTasks {
    final Map<Integer, List<String>> open = new HashMap<>();
    final AtomicInteger failReads = new AtomicInteger();

    @Override
    public synchronized Map<Integer, List<String>> openIn(Collection<Integer> shards) throws Exception {
      if (failReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) throw new java.sql.SQLException("database down");
      Map<Integer, List<String>> read = new HashMap<>();
      for (int shard : shards) if (open.containsKey(shard)) read.put(shard, open.get(shard));
      return read;
    }

    @Override
    public synchronized Map<Integer, String> onePerShard() {
      Map<Integer, String> first = new HashMap<>();
      open.forEach((shard, ids) -> {
        if (!ids.isEmpty()) first.put(shard, ids.stream().sorted().findFirst().orElseThrow());
      });
      return first;
    }
  }

  private static TaskWaker.Hosted hosted(Map<Integer, Set<String>> running) {
    return new TaskWaker.Hosted(running, Set.of());
  }

  private ActorRef<TaskWaker.Command> waker(TaskWaker.Settings settings) {
    TaskWaker.HostedShards region = () -> {
      polls.incrementAndGet();
      CompletionStage<TaskWaker.Hosted> answer = CompletableFuture.completedFuture(hosted.get());
      return answer;
    };
    return testKit.spawn(TaskWaker.create(settings, region, index, started.ref()::tell, Runnable::run, System::nanoTime));
  }

  private static TaskWaker.Settings settings(Duration poll, Duration sweep, Duration recheck) {
    return new TaskWaker.Settings(poll, sweep, recheck, Duration.ZERO, poll, sweep);
  }

  private Set<String> receive(int count) {
    Set<String> ids = new HashSet<>(started.receiveSeveralMessages(count, Waiting.AT_MOST));
    assertEquals(count, ids.size(), "each started once: " + ids);
    return ids;
  }

  /** Lets {@code count} more polls pass: whatever they would start has been started by then. */
  private void awaitPolls(int count) {
    int target = polls.get() + count;
    Waiting.waitFor(count + " more polls").until(polls::get, n -> n >= target);
  }

  @Test
  void aShardNewHereHasItsOpenTasksStartedOnceExceptThoseRunning() {
    index.open.put(3, List.of("a", "b", "c"));
    index.open.put(5, List.of("d"));
    waker(settings(Duration.ofMillis(20), HOUR, HOUR));
    awaitPolls(2);
    started.expectNoMessage(QUIET); // hosts nothing yet

    hosted.set(hosted(Map.of(3, Set.of("b"))));
    assertEquals(Set.of("a", "c"), receive(2));
    awaitPolls(3);
    started.expectNoMessage(QUIET);

    // The shard leaves and comes back: its tasks are started again (sharding stopped them).
    hosted.set(hosted(Map.of()));
    awaitPolls(2);
    hosted.set(hosted(Map.of(3, Set.of())));
    assertEquals(Set.of("a", "b", "c"), receive(3));
    awaitPolls(2);
    started.expectNoMessage(QUIET);
  }

  @Test
  void theSweepStartsOneOpenTaskOfEachShardNotHostedHere() {
    index.open.put(3, List.of("a", "b"));
    index.open.put(5, List.of("d", "c"));
    index.open.put(7, List.of("e"));
    index.open.put(9, List.of());
    hosted.set(hosted(Map.of(3, Set.of("a", "b"))));
    waker(settings(HOUR, Duration.ofMillis(50), HOUR));
    // Every sweep: shard 5's first task and shard 7's, never one of shard 3, hosted here.
    for (int sweep = 0; sweep < 3; sweep++) assertEquals(Set.of("c", "e"), receive(2));
  }

  @Test
  void aShardWhoseTasksCouldNotBeReadIsReadAgain() {
    index.open.put(3, List.of("a"));
    index.failReads.set(2);
    hosted.set(hosted(Map.of(3, Set.of())));
    waker(settings(Duration.ofMillis(20), HOUR, HOUR));
    assertEquals("a", started.receiveMessage(Waiting.AT_MOST));
    assertEquals(0, index.failReads.get());
    awaitPolls(3);
    started.expectNoMessage(QUIET);
  }

  @Test
  void aShardThatDidNotAnswerCountsAsHostedWithItsTasksUnknown() {
    index.open.put(3, List.of("a"));
    index.open.put(4, List.of("b"));
    hosted.set(new TaskWaker.Hosted(Map.of(3, Set.of("a")), Set.of(4)));
    waker(settings(Duration.ofMillis(20), Duration.ofMillis(20), HOUR));
    assertEquals("b", started.receiveMessage(Waiting.AT_MOST)); // started: it may not be running
    awaitPolls(3);
    started.expectNoMessage(QUIET); // and not swept: it is hosted here
  }

  @Test
  void eachRecheckStartsTheOpenTasksOfHostedShardsThatAreNotRunning() {
    index.open.put(3, List.of("a", "b"));
    hosted.set(hosted(Map.of(3, Set.of("a"))));
    waker(settings(Duration.ofMillis(20), HOUR, Duration.ofMillis(200)));
    assertEquals("b", started.receiveMessage(Waiting.AT_MOST)); // new here
    // b never shows up as running (it stopped, say, without finishing): each recheck starts it.
    assertEquals("b", started.receiveMessage(Waiting.AT_MOST));
    assertEquals("b", started.receiveMessage(Waiting.AT_MOST));
  }

  @Test
  void aMembershipChangePollsAndSweepsAtOnceAndThenFaster() {
    index.open.put(3, List.of("a"));
    index.open.put(5, List.of("b"));
    TaskWaker.Settings settings =
        new TaskWaker.Settings(HOUR, HOUR, HOUR, Duration.ofMinutes(1), Duration.ofMillis(20), Duration.ofMillis(20));
    ActorRef<TaskWaker.Command> waker = waker(settings);
    Waiting.waitFor("the first poll, at start").until(polls::get, n -> n == 1);
    hosted.set(hosted(Map.of(3, Set.of())));
    started.expectNoMessage(QUIET); // the next poll is an hour away

    waker.tell(TaskWaker.membershipChanged()); // a member left: shards move now
    // Shard 3 is new here: "a" is started; and every fast sweep starts "b", of shard 5.
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 4; i++) seen.add(started.receiveMessage(Waiting.AT_MOST));
    assertEquals(Set.of("a", "b"), seen);
    int before = polls.get();
    Waiting.waitFor("fast polls").until(polls::get, n -> n >= before + 5);
  }
}
