package io.steadfast.bench.jmh;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import com.sun.management.OperatingSystemMXBean;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.steadfast.protocol.RetryPolicy;
import io.steadfast.storage.DatabaseKind;
import io.steadfast.storage.JournalSchema;
import io.steadfast.storage.MintedIds;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.AttemptSucceeded;
import io.steadfast.task.TaskEntity.Event;
import io.steadfast.task.TaskEntity.Submitted;
import io.steadfast.task.TaskSpec;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.Recovery;

/**
 * The floor under a Steadfast task: what the fixed stack alone costs per task, with nothing of
 * Steadfast's own around it. Each "task" is an event-sourced entity that writes exactly what a
 * {@code noop} task writes, the same event classes with the same tag: {@code Submitted} and
 * {@code AttemptStarted} in one write, then {@code AttemptSucceeded}, and stops. It recovers
 * nothing (minted mode, as a node's new tasks do), through the node's journal DAO and persistence
 * configuration, on an H2 file with the node's durability ({@code WRITE_DELAY=0}) inside this JVM.
 * No cluster, sharding, HTTP, handler, metrics, breaker or read side, and no wake-up index (its
 * upsert and delete would go into the same transactions).
 *
 * <p>Prints {@code BENCH floor_cpu_ms_per_task} (this process's CPU, JIT and GC included, over the
 * measured tasks) and {@code BENCH floor_tasks_per_s}, to be read beside an embedded single
 * node's figures ({@code BENCH_DB=embedded scripts/bench.sh batch}): the difference is what
 * Steadfast's own layers cost. Run by {@code scripts/bench.sh floor}.
 *
 * <p>Arguments: {@code tasks warmup inFlight dir} (a fresh directory for the database file). It
 * fails unless every task ended and the journal holds its three rows.
 */
public final class StackFloor {
  /** Submitted and AttemptStarted, then AttemptSucceeded. */
  private static final int EVENTS_PER_TASK = 3;

  private StackFloor() {}

  public static void main(String[] args) throws Exception {
    int tasks = Integer.parseInt(args[0]);
    int warmup = Integer.parseInt(args[1]);
    int inFlight = Integer.parseInt(args[2]);
    Path dir = Files.createDirectories(Path.of(args[3]));
    String url = "jdbc:h2:file:" + dir.toAbsolutePath().resolve("floor") + ";DATABASE_TO_UPPER=false;WRITE_DELAY=0";
    JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(30));
    ActorSystem<Driver.Command> system = ActorSystem.create(Driver.create(), "floor", config(url));
    try {
      run(system, warmup, inFlight);
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpuBefore = os.getProcessCpuTime();
      long wallBefore = System.nanoTime();
      run(system, tasks, inFlight);
      double cpuMs = (os.getProcessCpuTime() - cpuBefore) / 1e6;
      double wallS = (System.nanoTime() - wallBefore) / 1e9;
      requireJournalRows(url, EVENTS_PER_TASK * ((long) warmup + tasks));
      System.out.printf("BENCH floor_cpu_ms_per_task %.3f ms%n", cpuMs / tasks);
      System.out.printf("BENCH floor_tasks_per_s %.1f tasks/s%n", tasks / wallS);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void run(ActorSystem<Driver.Command> system, int tasks, int inFlight) throws Exception {
    CompletionStage<Integer> done = AskPattern.ask(
        system, reply -> new Driver.Run(tasks, inFlight, reply), Duration.ofMinutes(10), system.scheduler());
    int ended = done.toCompletableFuture().get(10, TimeUnit.MINUTES);
    if (ended != tasks) throw new IllegalStateException(ended + " of " + tasks + " tasks ended");
  }

  /** A figure for work that was not done would be worse than none. */
  private static void requireJournalRows(String url, long expected) throws SQLException {
    try (Connection db = DriverManager.getConnection(url, "sa", "");
        Statement query = db.createStatement();
        ResultSet rows = query.executeQuery("SELECT COUNT(*) FROM \"event_journal\"")) {
      rows.next();
      if (rows.getLong(1) != expected) {
        throw new IllegalStateException("the journal holds " + rows.getLong(1) + " rows, not " + expected);
      }
    }
  }

  /** The node's persistence and serialization configuration, on {@code url}. */
  private static Config config(String url) {
    return ConfigFactory.parseString("pekko.loglevel = WARNING")
        .withFallback(ConfigFactory.parseResources("persistence.conf"))
        .withFallback(ConfigFactory.parseResources("serialization.conf"))
        .withFallback(ConfigFactory.parseResources("dispatchers.conf"))
        .withValue("steadfast.db.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("steadfast.db.user", ConfigValueFactory.fromAnyRef("sa"))
        .withValue("steadfast.db.password", ConfigValueFactory.fromAnyRef(""))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** Keeps {@code inFlight} tasks running until {@code tasks} have ended, then answers how many did. */
  static final class Driver {
    sealed interface Command {}

    record Run(int tasks, int inFlight, ActorRef<Integer> replyTo) implements Command {}

    record Ended() implements Command {}

    private final ActorContext<Command> context;
    private final TimeBasedEpochGenerator ids = Generators.timeBasedEpochGenerator();
    private final MintedIds mintedIds;

    private Driver(ActorContext<Command> context) {
      this.context = context;
      this.mintedIds = MintedIds.get(context.getSystem());
    }

    static Behavior<Command> create() {
      return Behaviors.setup(context -> new Driver(context).idle());
    }

    private Behavior<Command> idle() {
      return Behaviors.receive(Command.class)
          .onMessage(Run.class, run -> {
            int started = Math.min(run.inFlight(), run.tasks());
            for (int i = 0; i < started; i++) startTask();
            return running(run, started, 0);
          })
          .build();
    }

    private Behavior<Command> running(Run run, int started, int ended) {
      return Behaviors.receive(Command.class)
          .onMessage(Ended.class, end -> {
            int nowEnded = ended + 1;
            if (nowEnded == run.tasks()) {
              run.replyTo().tell(nowEnded);
              return idle();
            }
            if (started < run.tasks()) {
              startTask();
              return running(run, started + 1, nowEnded);
            }
            return running(run, started, nowEnded);
          })
          .build();
    }

    /** As a node does for a new task: a minted id, claimed by its entity, which then reads nothing. */
    private void startTask() {
      String taskId = ids.generate().toString();
      PersistenceId persistenceId = TaskEntity.persistenceId(taskId);
      mintedIds.minted(persistenceId.id());
      mintedIds.claim(persistenceId.id());
      context.spawnAnonymous(FloorTask.create(taskId, persistenceId, context.getSelf().narrow()));
    }
  }

  /** A noop task's journal work and nothing else. */
  static final class FloorTask extends EventSourcedBehavior<FloorTask.Command, Event, Integer> {
    enum Command { SUBMIT, SUCCEED }

    private static final TaskSpec SPEC = new TaskSpec(
        "noop", JsonNodeFactory.instance.objectNode(), null,
        new RetryPolicy(RetryPolicy.Strategy.EXPONENTIAL, 100, 2.0, 60_000, RetryPolicy.Jitter.FULL, 0.5, 5),
        30_000, TaskSpec.DEFAULT_PRIORITY, null);

    private final ActorRef<Command> self;
    private final ActorRef<Driver.Ended> driver;
    private final Set<String> tags;

    private FloorTask(String taskId, PersistenceId persistenceId, ActorRef<Command> self, ActorRef<Driver.Ended> driver) {
      super(persistenceId);
      this.self = self;
      this.driver = driver;
      this.tags = Set.of(TaskEntity.tag(Math.floorMod(taskId.hashCode(), TaskEntity.TAG_SLICES)));
    }

    static Behavior<Command> create(String taskId, PersistenceId persistenceId, ActorRef<Driver.Ended> driver) {
      return Behaviors.setup(context -> {
        context.getSelf().tell(Command.SUBMIT);
        return new FloorTask(taskId, persistenceId, context.getSelf(), driver);
      });
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public Recovery recovery() {
      return Recovery.disabled();
    }

    @Override
    public Set<String> tagsFor(Event event) {
      return tags;
    }

    @Override
    public CommandHandler<Command, Event, Integer> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Command.SUBMIT::equals, (state, submit) -> Effect()
              .persist(List.of(new Submitted(SPEC, Instant.now()), new AttemptStarted(1, "floor", Instant.now())))
              .thenRun(started -> self.tell(Command.SUCCEED)))
          .onCommand(Command.SUCCEED::equals, (state, succeed) -> Effect()
              .persist(new AttemptSucceeded(1, JsonNodeFactory.instance.nullNode(), Instant.now()))
              .thenRun(succeeded -> driver.tell(new Driver.Ended()))
              .thenStop())
          .build();
    }

    @Override
    public EventHandler<Integer, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
    }
  }
}
