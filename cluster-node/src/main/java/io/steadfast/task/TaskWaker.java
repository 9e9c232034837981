package io.steadfast.task;

import com.typesafe.config.Config;
import io.steadfast.storage.WakeIndexReads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.StartEntity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the unfinished tasks that nothing else would start: one per node, in place of sharding's
 * remember-entities (see {@link TaskEntity#init} for why tasks are not remembered).
 *
 * <p>Shards start lazily, when a message reaches one; an entity starts when a message reaches it.
 * After a node dies, or the whole cluster restarts, nothing would reach an unfinished task whose
 * timers were in memory. So the waker, reading the wake-up index (the {@code task_open} table,
 * written with the tasks' events):
 *
 * <ul>
 *   <li>every {@code poll-interval} asks this node's shard region which task shards it hosts, and
 *       for each shard new here starts the shard's open tasks that are not already running;
 *   <li>every {@code sweep-interval} starts one open task of each shard that this node does not
 *       host: a shard that no node hosts (its node died, or the cluster restarted) starts on some
 *       node, whose waker then starts the rest;
 *   <li>every {@code recheck-interval} starts again the open tasks of its hosted shards that are
 *       not running (an entity that stopped without finishing, which remember-entities would have
 *       restarted);
 *   <li>for {@code membership-change-window} after a member joins or leaves (when shards move),
 *       polls and sweeps at the faster intervals.
 * </ul>
 *
 * <p>A task is started with sharding's {@code StartEntity}, not a command: a running entity does
 * not see it at all, and a stopped one starts and recovers, and its recovery arranges what comes
 * next (a wake for a waiting task, NODE_LOST for an attempt that was running, filing for an
 * unfiled dead letter), exactly as a remembered entity restarted by sharding did.
 *
 * <p>The index is read on threads of its own, never an actor's.
 */
public final class TaskWaker {
  private static final Logger log = LoggerFactory.getLogger(TaskWaker.class);

  private TaskWaker() {}

  /** The intervals, from {@code steadfast.task.wake}. */
  public record Settings(
      Duration pollInterval,
      Duration sweepInterval,
      Duration recheckInterval,
      Duration membershipChangeWindow,
      Duration fastPollInterval,
      Duration fastSweepInterval) {

    public static Settings fromConfig(Config config) {
      Config wake = config.getConfig("steadfast.task.wake");
      return new Settings(
          wake.getDuration("poll-interval"),
          wake.getDuration("sweep-interval"),
          wake.getDuration("recheck-interval"),
          wake.getDuration("membership-change-window"),
          wake.getDuration("fast-poll-interval"),
          wake.getDuration("fast-sweep-interval"));
    }
  }

  /**
   * The task shards this node hosts.
   *
   * @param running each answering shard's running task ids
   * @param unanswered shards hosted here that did not answer in time (their tasks unknown)
   */
  record Hosted(Map<Integer, Set<String>> running, Set<Integer> unanswered) {
    Set<Integer> shards() {
      Set<Integer> all = new HashSet<>(running.keySet());
      all.addAll(unanswered);
      return all;
    }
  }

  /** Asks the local shard region which task shards it hosts. */
  @FunctionalInterface
  interface HostedShards {
    CompletionStage<Hosted> ask();
  }

  /** The wake-up index, in task ids. Blocking: called on the waker's executor. */
  interface OpenTasks {
    /** The open tasks of {@code shards}, by shard; a shard with none may be left out. */
    Map<Integer, List<String>> openIn(Collection<Integer> shards) throws Exception;

    /** One open task of each shard that has any. */
    Map<Integer, String> onePerShard() throws Exception;
  }

  /** Starts a task's entity if it is not running, through sharding. */
  @FunctionalInterface
  interface Starter {
    void start(String taskId);
  }

  /** Starts this node's waker, reading the wake-up index with the read side's connections. */
  public static ActorRef<Command> start(
      ActorSystem<?> system, ActorRef<ShardingEnvelope<TaskEntity.Command>> region, DataSource readSide) {
    Executor executor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "steadfast-task-waker");
      thread.setDaemon(true);
      return thread;
    });
    OpenTasks open = new IndexedTasks(new WakeIndexReads(readSide), TaskSharding.persistenceIdPrefix());
    return start(system, region, open, executor, Settings.fromConfig(system.settings().config()));
  }

  /** With {@code open} standing in for the index (tests). */
  static ActorRef<Command> start(
      ActorSystem<?> system,
      ActorRef<ShardingEnvelope<TaskEntity.Command>> region,
      OpenTasks open,
      Executor executor,
      Settings settings) {
    // The region answers within shard-region-query-timeout (3 s), listing late shards as failed.
    Duration askTimeout = Duration.ofSeconds(10);
    HostedShards hosted = () -> AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(system).shardState(),
            replyTo -> new GetShardRegionState(TaskEntity.ENTITY_KEY, replyTo),
            askTimeout,
            system.scheduler())
        .thenApply(TaskWaker::hosted);
    Starter starter = taskId -> region.tell(StartEntity.create(TaskEntity.Command.class, taskId));
    Behavior<Command> waker = Behaviors.setup(context -> {
      ActorRef<ClusterEvent.MemberEvent> membership =
          context.messageAdapter(ClusterEvent.MemberEvent.class, event -> MembershipChanged.INSTANCE);
      Cluster.get(system).subscriptions().tell(Subscribe.create(membership, ClusterEvent.MemberEvent.class));
      return create(settings, hosted, open, starter, executor, System::nanoTime);
    });
    ActorRef<Command> ref = system.systemActorOf(waker, "task-waker", Props.empty());
    // A node that leaves starts nothing more, and stops reading before the read side's pool closes.
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeClusterShutdown(), "stop-task-waker", () -> {
      ref.tell(Stop.INSTANCE);
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    return ref;
  }

  static Hosted hosted(ShardRegion.CurrentShardRegionState state) {
    Map<Integer, Set<String>> running = new HashMap<>();
    for (ShardRegion.ShardState shard : state.getShards()) {
      Integer number = shardNumber(shard.shardId());
      if (number != null) running.put(number, shard.getEntityIds());
    }
    Set<Integer> unanswered = new HashSet<>();
    for (String shard : state.getFailed()) {
      Integer number = shardNumber(shard);
      if (number != null) unanswered.add(number);
    }
    return new Hosted(running, unanswered);
  }

  private static Integer shardNumber(String shardId) {
    try {
      return Integer.valueOf(shardId);
    } catch (NumberFormatException e) {
      return null; // not one of the task extractor's shards
    }
  }

  /** The index's persistence ids as task ids. */
  private record IndexedTasks(WakeIndexReads reads, String prefix) implements OpenTasks {
    @Override
    public Map<Integer, List<String>> openIn(Collection<Integer> shards) throws Exception {
      Map<Integer, List<String>> tasks = new HashMap<>();
      reads.openIn(shards).forEach((shard, ids) -> tasks.put(shard, ids.stream().map(this::taskId).toList()));
      return tasks;
    }

    @Override
    public Map<Integer, String> onePerShard() throws Exception {
      Map<Integer, String> tasks = new HashMap<>();
      reads.onePerShard().forEach((shard, id) -> tasks.put(shard, taskId(id)));
      return tasks;
    }

    private String taskId(String persistenceId) {
      return persistenceId.substring(prefix.length());
    }
  }

  // ---------------------------------------------------------------- the actor

  public sealed interface Command {}

  private enum Poll implements Command { INSTANCE }

  private enum Sweep implements Command { INSTANCE }

  private enum MembershipChanged implements Command { INSTANCE }

  private enum Stop implements Command { INSTANCE }

  /** Members joined or left (what the cluster subscription tells the waker). */
  static Command membershipChanged() {
    return MembershipChanged.INSTANCE;
  }

  private record PollAnswered(Hosted hosted, Throwable failure) implements Command {}

  private record ShardsRead(Set<Integer> shards, Map<Integer, List<String>> open, boolean recheck, Throwable failure)
      implements Command {}

  private record SweepRead(Map<Integer, String> first, Throwable failure) implements Command {}

  static Behavior<Command> create(
      Settings settings, HostedShards hosted, OpenTasks open, Starter starter, Executor executor, LongSupplier nanos) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      Waker waker = new Waker(settings, hosted, open, starter, executor, nanos, context, timers);
      // The first sweep waits for the first poll to have said what is hosted here; at a node's
      // start the cluster's first membership events bring both forward anyway.
      timers.startSingleTimer(Poll.INSTANCE, Poll.INSTANCE, Duration.ZERO);
      timers.startSingleTimer(Sweep.INSTANCE, Sweep.INSTANCE, settings.sweepInterval());
      return Behaviors.receive(Command.class)
          .onMessage(Poll.class, poll -> waker.poll())
          .onMessage(PollAnswered.class, waker::pollAnswered)
          .onMessage(ShardsRead.class, waker::shardsRead)
          .onMessage(Sweep.class, sweep -> waker.sweep())
          .onMessage(SweepRead.class, waker::sweepRead)
          .onMessage(MembershipChanged.class, changed -> waker.membershipChanged())
          .onMessage(Stop.class, stop -> Behaviors.stopped())
          .build();
    }));
  }

  private static final class Waker {
    private final Settings settings;
    private final HostedShards hostedShards;
    private final OpenTasks open;
    private final Starter starter;
    private final Executor executor;
    private final LongSupplier nanos;
    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;

    /** What the last answered poll said; empty before the first. */
    private Hosted hosted = new Hosted(Map.of(), Set.of());
    /** Hosted shards whose open tasks were started since they came here (or since the last recheck). */
    private final Set<Integer> woken = new HashSet<>();
    /** A poll, and the read it leads to, in flight: the next waits for both. */
    private boolean polling;
    private boolean sweeping;
    private long fastUntil;
    private long nextRecheck;

    Waker(Settings settings, HostedShards hostedShards, OpenTasks open, Starter starter, Executor executor,
        LongSupplier nanos, ActorContext<Command> context, TimerScheduler<Command> timers) {
      this.settings = settings;
      this.hostedShards = hostedShards;
      this.open = open;
      this.starter = starter;
      this.executor = executor;
      this.nanos = nanos;
      this.context = context;
      this.timers = timers;
      this.fastUntil = nanos.getAsLong();
      this.nextRecheck = nanos.getAsLong() + settings.recheckInterval().toNanos();
    }

    Behavior<Command> poll() {
      if (polling) return Behaviors.same(); // the next Poll is scheduled when this one is done
      polling = true;
      context.pipeToSelf(hostedShards.ask(), PollAnswered::new);
      return Behaviors.same();
    }

    Behavior<Command> pollAnswered(PollAnswered answered) {
      if (answered.failure() != null) {
        log.debug("the task shard region did not say which shards it hosts: {}", answered.failure().toString());
        return pollDone();
      }
      hosted = answered.hosted();
      Set<Integer> shards = hosted.shards();
      woken.retainAll(shards); // a shard that left is new again when it comes back
      boolean recheck = nanos.getAsLong() - nextRecheck >= 0;
      if (recheck) {
        nextRecheck = nanos.getAsLong() + settings.recheckInterval().toNanos();
        woken.clear();
      }
      Set<Integer> toRead = new TreeSet<>(shards);
      toRead.removeAll(woken);
      if (toRead.isEmpty()) return pollDone();
      context.pipeToSelf(
          CompletableFuture.supplyAsync(() -> call(() -> open.openIn(toRead)), executor),
          (tasks, failure) -> new ShardsRead(toRead, tasks, recheck, failure));
      return Behaviors.same();
    }

    Behavior<Command> shardsRead(ShardsRead read) {
      if (read.failure() != null) {
        // Not marked woken: the next poll reads them again.
        log.warn("cannot read the open tasks of shards {}: {}", read.shards(), cause(read.failure()).toString());
        return pollDone();
      }
      Set<Integer> shards = hosted.shards();
      for (int shard : read.shards()) {
        if (!shards.contains(shard)) continue; // gone meanwhile: new again if it comes back
        List<String> tasks = read.open().getOrDefault(shard, List.of());
        Set<String> running = hosted.running().getOrDefault(shard, Set.of());
        int started = 0;
        for (String taskId : tasks) {
          if (running.contains(taskId)) continue;
          starter.start(taskId);
          started++;
        }
        woken.add(shard);
        if (started > 0) {
          if (read.recheck()) {
            log.info("task shard {}: started {} open tasks that were not running ({} running)", shard, started,
                tasks.size() - started);
          } else {
            log.info("task shard {} now hosted here: started {} open tasks ({} already running)", shard, started,
                tasks.size() - started);
          }
        } else if (!read.recheck()) {
          log.debug("task shard {} now hosted here: {} open tasks, all running", shard, tasks.size());
        }
      }
      return pollDone();
    }

    private Behavior<Command> pollDone() {
      polling = false;
      timers.startSingleTimer(Poll.INSTANCE, Poll.INSTANCE, fast() ? settings.fastPollInterval() : settings.pollInterval());
      return Behaviors.same();
    }

    Behavior<Command> sweep() {
      if (sweeping) return Behaviors.same();
      sweeping = true;
      context.pipeToSelf(
          CompletableFuture.supplyAsync(() -> call(open::onePerShard), executor), SweepRead::new);
      return Behaviors.same();
    }

    Behavior<Command> sweepRead(SweepRead read) {
      sweeping = false;
      if (read.failure() != null) {
        log.warn("cannot read the wake-up index: {}", cause(read.failure()).toString());
      } else {
        Set<Integer> here = hosted.shards();
        List<Integer> elsewhere = new ArrayList<>();
        read.first().forEach((shard, taskId) -> {
          if (here.contains(shard)) return; // this node's own: the poll starts them
          starter.start(taskId); // a no-op where its shard runs; else the shard starts somewhere
          elsewhere.add(shard);
        });
        if (!elsewhere.isEmpty()) log.debug("started one open task of each of shards {}", elsewhere);
      }
      timers.startSingleTimer(Sweep.INSTANCE, Sweep.INSTANCE, fast() ? settings.fastSweepInterval() : settings.sweepInterval());
      return Behaviors.same();
    }

    /** Shards move now: poll and sweep at once, then faster for a while. */
    Behavior<Command> membershipChanged() {
      fastUntil = nanos.getAsLong() + settings.membershipChangeWindow().toNanos();
      if (!polling) timers.startSingleTimer(Poll.INSTANCE, Poll.INSTANCE, Duration.ZERO);
      if (!sweeping) timers.startSingleTimer(Sweep.INSTANCE, Sweep.INSTANCE, Duration.ZERO);
      return Behaviors.same();
    }

    private boolean fast() {
      return nanos.getAsLong() - fastUntil < 0;
    }
  }

  @FunctionalInterface
  private interface Blocking<T> {
    T call() throws Exception;
  }

  private static <T> T call(Blocking<T> blocking) {
    try {
      return blocking.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  private static Throwable cause(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }
}
