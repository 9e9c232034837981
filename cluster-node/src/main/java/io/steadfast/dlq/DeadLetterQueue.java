package io.steadfast.dlq;

import io.steadfast.storage.JournalFailures;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.api.ApiTime;
import io.steadfast.protocol.api.DeadLetterPage;
import io.steadfast.protocol.api.DeadLetterStats;
import io.steadfast.protocol.api.DeadLetterView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster's one dead-letter queue: a single sharded, event-sourced entity, so it lives on
 * exactly one node at a time, moves when that node dies, and keeps every entry in the journal.
 * Entries are kept per task type up to a limit (the oldest go first). Dead letters are rare;
 * the whole queue is a small in-memory list, snapshotted every 100 changes.
 */
public final class DeadLetterQueue
    extends EventSourcedBehaviorWithEnforcedReplies<DeadLetterQueue.Command, DeadLetterQueue.Event, DeadLetterQueue.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DeadLetterQueue");
  static final String ENTITY_ID = "cluster";

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Files a dead-lettered task; filing the same dead letter twice changes nothing. */
  public record File(Entry entry, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Newest first, at most {@code limit}, only sequences below {@code after} when given. */
  public record ListEntries(Filter filter, int limit, Long after, ActorRef<DeadLetterPage> replyTo) implements Command {}

  public record Get(String taskId, ActorRef<Lookup> replyTo) implements Command {}

  /** Takes a task out of the queue (it was redriven). */
  public record Remove(String taskId, ActorRef<Removed> replyTo) implements Command {}

  public record Purge(Instant olderThan, String type, ActorRef<Purged> replyTo) implements Command {}

  public record GetStats(ActorRef<DeadLetterStats> replyTo) implements Command {}

  // ---------------------------------------------------------------- replies

  /** @param entry null when the task is not in the queue */
  public record Lookup(DeadLetterView entry) implements CborSerializable {}

  public record Removed(boolean existed) implements CborSerializable {}

  public record Purged(int count) implements CborSerializable {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  /** @param evicted task ids dropped to keep the type within its retention */
  public record Filed(Entry entry, List<String> evicted) implements Event {}

  public record EntryRemoved(String taskId) implements Event {}

  public record EntriesPurged(List<String> taskIds, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /** A dead letter as stored; {@code sequence} is given by the queue when filed. */
  public record Entry(
      long sequence,
      String taskId,
      String type,
      String errorType,
      String errorMessage,
      int attempts,
      Instant firstFailureAt,
      Instant lastFailureAt,
      Instant deadLetteredAt,
      String reason)
      implements CborSerializable {

    Entry withSequence(long newSequence) {
      return new Entry(newSequence, taskId, type, errorType, errorMessage, attempts, firstFailureAt,
          lastFailureAt, deadLetteredAt, reason);
    }

    DeadLetterView toView() {
      return new DeadLetterView(sequence, taskId, type, errorType, errorMessage, attempts,
          ApiTime.format(firstFailureAt), ApiTime.format(lastFailureAt), ApiTime.format(deadLetteredAt), reason);
    }
  }

  /** Which entries a listing, a bulk redrive or a purge is about; null fields match anything. */
  public record Filter(String type, String errorType) implements CborSerializable {
    public static final Filter ALL = new Filter(null, null);

    boolean matches(Entry entry) {
      return (type == null || type.equals(entry.type()))
          && (errorType == null || errorType.equals(entry.errorType()));
    }
  }

  /** @param entries oldest first */
  public record State(List<Entry> entries, long nextSequence) implements CborSerializable {
    static final State EMPTY = new State(List.of(), 1);

    State apply(Event event) {
      if (event instanceof Filed filed) {
        Set<String> leaving = new java.util.HashSet<>(filed.evicted());
        leaving.add(filed.entry().taskId());
        List<Entry> kept = without(entry -> leaving.contains(entry.taskId()));
        kept.add(filed.entry());
        return new State(List.copyOf(kept), filed.entry().sequence() + 1);
      } else if (event instanceof EntryRemoved removed) {
        return new State(List.copyOf(without(entry -> entry.taskId().equals(removed.taskId()))), nextSequence);
      } else if (event instanceof EntriesPurged purged) {
        Set<String> gone = Set.copyOf(purged.taskIds());
        return new State(List.copyOf(without(entry -> gone.contains(entry.taskId()))), nextSequence);
      }
      throw new IllegalArgumentException("unknown event " + event);
    }

    Entry find(String taskId) {
      return entries.stream().filter(entry -> entry.taskId().equals(taskId)).findFirst().orElse(null);
    }

    private List<Entry> without(Predicate<Entry> leaving) {
      List<Entry> kept = new ArrayList<>(entries.size() + 1);
      for (Entry entry : entries) if (!leaving.test(entry)) kept.add(entry);
      return kept;
    }
  }

  // ---------------------------------------------------------------- wiring

  /**
   * @param keepPerType how many entries each task type keeps
   * @param nodeName this node, reported by the stats as the queue's host
   */
  public static void init(ActorSystem<?> system, ToIntFunction<String> keepPerType, String nodeName) {
    // Not remembered: it has no timers and starts, on any node, with the next message.
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, entity -> create(keepPerType, nodeName))
            .withSettings(ClusterShardingSettings.create(system).withRememberEntities(false)));
  }

  /** The queue, wherever in the cluster it runs. */
  public static EntityRef<Command> ref(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, ENTITY_ID);
  }

  public static Behavior<Command> create(ToIntFunction<String> keepPerType, String nodeName) {
    return new DeadLetterQueue(keepPerType, nodeName);
  }

  private final ToIntFunction<String> keepPerType;
  private final String nodeName;

  private DeadLetterQueue(ToIntFunction<String> keepPerType, String nodeName) {
    super(
        PersistenceId.of(ENTITY_KEY.name(), ENTITY_ID),
        JournalFailures.restartWithBackoff());
    this.keepPerType = keepPerType;
    this.nodeName = nodeName;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(File.class, this::file)
        .onCommand(ListEntries.class, this::list)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), lookup(state, get.taskId())))
        .onCommand(Remove.class, this::remove)
        .onCommand(Purge.class, this::purge)
        .onCommand(GetStats.class, (state, get) -> Effect().reply(get.replyTo(), stats(state)))
        .build();
  }

  private ReplyEffect<Event, State> file(State state, File file) {
    Entry existing = state.find(file.entry().taskId());
    if (existing != null && Objects.equals(existing.deadLetteredAt(), file.entry().deadLetteredAt())) {
      return Effect().reply(file.replyTo(), StatusReply.ack()); // filed before: a retried delivery
    }
    Entry entry = file.entry().withSequence(state.nextSequence());
    int keep = keepPerType.applyAsInt(entry.type());
    List<Entry> sameType =
        state.entries().stream()
            .filter(e -> e.type().equals(entry.type()) && !e.taskId().equals(entry.taskId()))
            .toList();
    int excess = Math.max(0, sameType.size() + 1 - keep);
    List<String> evicted = sameType.stream().limit(excess).map(Entry::taskId).toList();
    return Effect().persist(new Filed(entry, evicted)).thenReply(file.replyTo(), filed -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> list(State state, ListEntries list) {
    List<DeadLetterView> page = new ArrayList<>();
    Long nextCursor = null;
    List<Entry> entries = state.entries();
    for (int i = entries.size() - 1; i >= 0; i--) {
      Entry entry = entries.get(i);
      if (list.after() != null && entry.sequence() >= list.after()) continue;
      if (!list.filter().matches(entry)) continue;
      if (page.size() == list.limit()) {
        nextCursor = page.get(page.size() - 1).sequence();
        break;
      }
      page.add(entry.toView());
    }
    return Effect().reply(list.replyTo(), new DeadLetterPage(page, nextCursor));
  }

  private ReplyEffect<Event, State> remove(State state, Remove remove) {
    if (state.find(remove.taskId()) == null) return Effect().reply(remove.replyTo(), new Removed(false));
    return Effect().persist(new EntryRemoved(remove.taskId())).thenReply(remove.replyTo(), s -> new Removed(true));
  }

  private ReplyEffect<Event, State> purge(State state, Purge purge) {
    Filter filter = new Filter(purge.type(), null);
    List<String> doomed =
        state.entries().stream()
            .filter(entry -> filter.matches(entry) && entry.deadLetteredAt().isBefore(purge.olderThan()))
            .map(Entry::taskId)
            .toList();
    if (doomed.isEmpty()) return Effect().reply(purge.replyTo(), new Purged(0));
    return Effect()
        .persist(new EntriesPurged(doomed, purge.olderThan()))
        .thenReply(purge.replyTo(), s -> new Purged(doomed.size()));
  }

  private static Lookup lookup(State state, String taskId) {
    Entry entry = state.find(taskId);
    return new Lookup(entry == null ? null : entry.toView());
  }

  private DeadLetterStats stats(State state) {
    Map<String, Long> byType =
        state.entries().stream().collect(Collectors.groupingBy(Entry::type, TreeMap::new, Collectors.counting()));
    Map<String, Long> byErrorType =
        state.entries().stream()
            .collect(Collectors.groupingBy(Entry::errorType, TreeMap::new, Collectors.counting()));
    return new DeadLetterStats(state.entries().size(), byType, byErrorType, nodeName);
  }
}
