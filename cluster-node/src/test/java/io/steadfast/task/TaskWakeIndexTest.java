package io.steadfast.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.typesafe.config.ConfigFactory;
import io.steadfast.protocol.AttemptOutcome;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.storage.WakeIndex;
import io.steadfast.task.TaskEntity.AttemptFailed;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.AttemptSucceeded;
import io.steadfast.task.TaskEntity.CancellationRequested;
import io.steadfast.task.TaskEntity.Cancelled;
import io.steadfast.task.TaskEntity.CheckpointRecorded;
import io.steadfast.task.TaskEntity.DeadLetterFiled;
import io.steadfast.task.TaskEntity.DeadLettered;
import io.steadfast.task.TaskEntity.Deferred;
import io.steadfast.task.TaskEntity.Event;
import io.steadfast.task.TaskEntity.RateLimited;
import io.steadfast.task.TaskEntity.Redriven;
import io.steadfast.task.TaskEntity.State;
import io.steadfast.task.TaskEntity.Submitted;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;

/**
 * What the wake-up index keeps of tasks: which events open a task and which end it, checked
 * against {@link TaskLifecycle} rather than restated. Every task state reachable through the
 * lifecycle is explored, event by event; after each event the index (as the listed events would
 * leave it) must hold the task exactly when it still has to run somewhere. A new event class
 * fails here until it has samples, and then fails if it ends or opens a task without being listed.
 */
class TaskWakeIndexTest {
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  private static final String NODE = "127.0.0.1:2551";
  private static final JsonNode NOTHING = JsonNodeFactory.instance.objectNode();
  private static final TaskError RETRYABLE = new TaskError("IO", "connection reset", true);
  private static final RetryPolicy POLICY =
      new RetryPolicy(RetryPolicy.Strategy.FIXED, 100, 1.0, 1_000, RetryPolicy.Jitter.NONE, 0.0, 3);
  private static final int MAX_ATTEMPT = 3;

  /** Sample events of every class, with every attempt number a short life reaches. */
  private static Map<Class<? extends Event>, List<Event>> samples() {
    TaskSpec spec = new TaskSpec("email", NOTHING, null, POLICY, 5_000, TaskSpec.DEFAULT_PRIORITY, null);
    Map<Class<? extends Event>, List<Event>> samples = new LinkedHashMap<>();
    samples.put(Submitted.class, List.of(new Submitted(spec, T0)));
    samples.put(AttemptStarted.class, attempts(n -> new AttemptStarted(n, NODE, T0)));
    samples.put(CheckpointRecorded.class, attempts(n -> new CheckpointRecorded(n, NOTHING, T0)));
    samples.put(AttemptSucceeded.class, attempts(n -> new AttemptSucceeded(n, NOTHING, T0)));
    List<Event> failed = new ArrayList<>(attempts(n -> new AttemptFailed(
        n, AttemptOutcome.FAILED, RETRYABLE, T0.plusSeconds(1), true, T0)));
    failed.addAll(attempts(n -> new AttemptFailed(n, AttemptOutcome.FAILED, RETRYABLE, null, true, T0)));
    failed.addAll(attempts(n -> new AttemptFailed(n, AttemptOutcome.HANDED_OFF, RETRYABLE, T0, false, T0)));
    samples.put(AttemptFailed.class, failed);
    samples.put(DeadLettered.class, List.of(new DeadLettered("attempts exhausted", T0)));
    samples.put(Deferred.class, List.of(new Deferred(T0.plusSeconds(5), "breaker open", T0)));
    samples.put(RateLimited.class, List.of(new RateLimited("rate limit", T0)));
    samples.put(DeadLetterFiled.class, List.of(new DeadLetterFiled(T0)));
    samples.put(Redriven.class, List.of(new Redriven(null, T0)));
    samples.put(CancellationRequested.class, List.of(new CancellationRequested(T0)));
    samples.put(Cancelled.class, List.of(new Cancelled(T0)));
    return samples;
  }

  private static List<Event> attempts(IntFunction<Event> event) {
    return IntStream.rangeClosed(1, MAX_ATTEMPT).mapToObj(event).toList();
  }

  /** Whether a task in {@code state} must be running somewhere: what the index must say. */
  private static boolean mustRun(State state) {
    return state.isSubmitted() && (!state.status().isTerminal() || state.isDeadLetterUnfiled());
  }

  /** Whether the lifecycle takes {@code event} in {@code state} as a task's next event. */
  private static boolean follows(State state, Event event, State after) {
    if (after.historyLost() && !state.historyLost()) return false; // an event out of order: a gap
    if (!state.isSubmitted() || !state.status().isTerminal()) return true;
    // A terminal task takes only what acts on its dead letter: filing it, or a redrive.
    return state.status() == TaskStatus.DEAD_LETTERED && (event instanceof DeadLetterFiled || event instanceof Redriven);
  }

  private record Node(State state, boolean indexed) {}

  @Test
  void everyEventClassHasSamples() {
    Set<Class<?>> permitted = new HashSet<>(Arrays.asList(Event.class.getPermittedSubclasses()));
    assertEquals(permitted, samples().keySet(),
        "each event class needs samples here, so that whether it opens or ends a task is checked");
  }

  @Test
  void theIndexHoldsATaskExactlyWhileItMustRun() {
    Map<Class<? extends Event>, List<Event>> samples = samples();
    Set<Class<?>> opening = Set.copyOf(TaskSharding.OPENING);
    Set<Class<?>> closing = Set.copyOf(TaskSharding.CLOSING);
    Set<String> opens = new TreeSet<>();
    Set<String> ends = new TreeSet<>();
    Set<Class<?>> applied = new HashSet<>();
    EnumSet<TaskStatus> reached = EnumSet.noneOf(TaskStatus.class);

    Node start = new Node(State.empty("t-1"), false);
    Map<Node, List<Event>> paths = new HashMap<>();
    paths.put(start, List.of());
    ArrayDeque<Node> queue = new ArrayDeque<>(List.of(start));
    while (!queue.isEmpty()) {
      Node node = queue.poll();
      assertTrue(paths.size() < 1_000_000, "the lifecycle's states do not run out: bound the samples");
      for (List<Event> ofClass : samples.values()) {
        for (Event event : ofClass) {
          State after = TaskLifecycle.apply(node.state(), event);
          if (!follows(node.state(), event, after)) continue;
          applied.add(event.getClass());
          reached.add(after.status());
          boolean wasOpen = mustRun(node.state());
          boolean isOpen = mustRun(after);
          if (!wasOpen && isOpen) opens.add(event.getClass().getSimpleName());
          if (wasOpen && !isOpen) ends.add(event.getClass().getSimpleName());
          boolean indexed =
              opening.contains(event.getClass()) || (!closing.contains(event.getClass()) && node.indexed());
          Node next = new Node(after, indexed);
          List<Event> path = new ArrayList<>(paths.get(node));
          path.add(event);
          if (indexed != isOpen) {
            fail((indexed ? "indexed but done: " : "must run but not indexed: ") + after.status()
                + (after.isDeadLetterUnfiled() ? " (dead letter not filed)" : "") + " after " + path(path));
          }
          if (paths.putIfAbsent(next, path) == null) queue.add(next);
        }
      }
    }
    assertEquals(samples.keySet(), applied, "every sample class was applied somewhere");
    assertEquals(EnumSet.allOf(TaskStatus.class), reached, "every status was reached");
    // The same, said as the lists: an event class ends a task iff it is listed as closing.
    assertEquals(names(TaskSharding.CLOSING), ends, "the events that end a task");
    assertEquals(names(TaskSharding.OPENING), opens, "the events that open a task");
  }

  @Test
  void aDeadLetteredTaskStaysOpenUntilItsDeadLetterIsFiled() {
    assertFalse(TaskSharding.CLOSING.contains(DeadLettered.class));
    assertTrue(TaskSharding.CLOSING.contains(DeadLetterFiled.class));
  }

  @Test
  void theRegisteredManifestsAreTheOnesTheJournalWrites() {
    ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseResources("serialization.conf")
        .withFallback(ConfigFactory.defaultReference()).resolve());
    try {
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
      Map<Class<? extends Event>, List<Event>> samples = samples();
      WakeIndex.Registration registration = TaskSharding.wakeIndex(60);
      assertEquals(manifests(serialization, samples, TaskSharding.OPENING), registration.opening());
      assertEquals(manifests(serialization, samples, TaskSharding.CLOSING), registration.closing());
      assertEquals("Task|", registration.persistenceIdPrefix());
      assertEquals(PersistenceId.of("Task", "abc").id(), registration.persistenceIdPrefix() + "abc");
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void anEntrysShardIsTheShardShardingSendsTheTaskTo() {
    WakeIndex.Registration registration = TaskSharding.wakeIndex(60);
    HashCodeMessageExtractor<TaskEntity.Command> sharding = new HashCodeMessageExtractor<>(60);
    Set<Integer> shards = new TreeSet<>();
    for (int i = 0; i < 2_000; i++) {
      String taskId = java.util.UUID.nameUUIDFromBytes(("task-" + i).getBytes()).toString();
      int shard = registration.shardOf().applyAsInt("Task|" + taskId);
      assertEquals(sharding.shardId(taskId), String.valueOf(shard), taskId);
      shards.add(shard);
    }
    assertEquals(60, shards.size(), "every shard, 0 to 59");
    assertEquals(0, shards.iterator().next());
    assertEquals(TaskEntity.ENTITY_KEY, EntityTypeKey.create(TaskEntity.Command.class, "Task"));
  }

  private static Set<String> manifests(
      Serialization serialization, Map<Class<? extends Event>, List<Event>> samples, List<Class<? extends Event>> of) {
    return of.stream()
        .map(cls -> {
          Event sample = samples.get(cls).get(0);
          return Serializers.manifestFor(serialization.findSerializerFor(sample), sample);
        })
        .collect(Collectors.toSet());
  }

  private static Set<String> names(List<Class<? extends Event>> classes) {
    return classes.stream().map(Class::getSimpleName).collect(Collectors.toCollection(TreeSet::new));
  }

  private static String path(List<Event> path) {
    return path.stream().map(e -> e.getClass().getSimpleName()).toList().toString();
  }
}
