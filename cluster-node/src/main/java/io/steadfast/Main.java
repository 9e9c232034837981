package io.steadfast;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.steadfast.admission.AdmissionControl;
import io.steadfast.breaker.CircuitBreakers;
import io.steadfast.console.ConsoleRoutes;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.execution.Bulkheads;
import io.steadfast.handlers.HandlerRegistry;
import io.steadfast.http.ApiErrors;
import io.steadfast.http.CircuitBreakerRoutes;
import io.steadfast.http.ClusterFigures;
import io.steadfast.http.ClusterRoutes;
import io.steadfast.http.DeadLetterRoutes;
import io.steadfast.http.EventStreamRoutes;
import io.steadfast.http.RateLimitRoutes;
import io.steadfast.http.ReadSideRoutes;
import io.steadfast.http.ScheduleRoutes;
import io.steadfast.http.RequestGuards;
import io.steadfast.http.HttpServer;
import io.steadfast.http.OpenApiRoutes;
import io.steadfast.http.TaskRoutes;
import io.steadfast.http.WorkflowRoutes;
import io.steadfast.logging.LogFormat;
import io.steadfast.membership.ClusterOverview;
import io.steadfast.membership.Membership;
import io.steadfast.membership.NodeLoadReporter;
import io.steadfast.membership.PeerLoads;
import io.steadfast.membership.Serving;
import io.steadfast.metrics.MetricsRoutes;
import io.steadfast.metrics.NodeMetrics;
import io.steadfast.ratelimit.RateLimits;
import io.steadfast.schedule.Schedules;
import io.steadfast.stats.ReadSide;
import io.steadfast.storage.DatabaseKind;
import io.steadfast.storage.JournalBacklog;
import io.steadfast.storage.JournalSchema;
import io.steadfast.storage.WakeIndexBackfill;
import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskIds;
import io.steadfast.task.TaskRuntime;
import io.steadfast.task.TaskSharding;
import io.steadfast.task.TaskTypes;
import io.steadfast.task.TaskWaker;
import io.steadfast.workflow.StepReports;
import io.steadfast.workflow.WorkflowEntity;
import io.steadfast.workflow.WorkflowSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a node: checks the configuration, makes sure the journal tables exist, then starts the
 * actor system and, in {@link #init}, sharding, management and the API, in that order.
 */
public final class Main {
  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  static {
    // On a 2-core machine the JDK's common pool gets one thread, and CompletableFuture then runs
    // every *Async callback without an executor on a new thread of its own. Libraries and
    // Scala's CompletionStage adapter (whose whenComplete/thenApply are async) rely on it, so it
    // must exist properly before anything touches it.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
  }

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    LogFormat.exitIfUnknown();
    Config config;
    TaskTypes types;
    try {
      config = DatabaseKind.applyOverlay(ConfigFactory.load());
      types = TaskTypes.fromConfig(config, HandlerRegistry.load(config));
      RequestGuards.checkTokens(config);
      WorkflowSettings.fromConfig(config);
      ensureSchema(config);
      backfillWakeIndex(config);
    } catch (ConfigException e) {
      log.error("configuration error: {}", e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      log.error("cannot start: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    ActorSystem.create(
        Behaviors.setup(
            context -> {
              init(context.getSystem(), types);
              return Behaviors.empty();
            }),
        "steadfast",
        config);
  }

  private static void ensureSchema(Config config) throws Exception {
    if (!config.getBoolean("steadfast.db.create-schema")) return;
    JournalSchema.ensure(
        DatabaseKind.of(config),
        config.getString("steadfast.db.url"),
        config.getString("steadfast.db.user"),
        config.getString("steadfast.db.password"),
        config.getDuration("steadfast.db.connect-timeout"));
  }

  /**
   * Fills the wake-up index from a journal written before it existed, once per database, before
   * this node writes anything (WakeIndexBackfill says how); at every later start it only reads
   * its marker.
   */
  private static void backfillWakeIndex(Config config) throws Exception {
    WakeIndexBackfill.run(
        DatabaseKind.of(config),
        config.getString("steadfast.db.url"),
        config.getString("steadfast.db.user"),
        config.getString("steadfast.db.password"),
        config.getDuration("steadfast.db.connect-timeout"),
        TaskSharding.wakeIndex(config.getInt("pekko.cluster.sharding.number-of-shards")));
  }

  /** Starts everything a node runs on {@code system}; callable from tests. */
  public static void init(ActorSystem<?> system, TaskTypes types) {
    Config config = system.settings().config();
    Address self = Cluster.get(system).selfMember().address();
    String nodeName = self.getHost().get() + ":" + self.getPort().get();

    Duration askTimeout = config.getDuration("steadfast.http.ask-timeout");

    // Cluster-wide actors first: the task entities file dead letters and consult breakers.
    DeadLetterQueue.init(system, types::deadLettersKept, nodeName);
    EntityRef<DeadLetterQueue.Command> deadLetterQueue = DeadLetterQueue.ref(system);
    CircuitBreakers breakers =
        CircuitBreakers.start(system, types.names(), types::breakerSettings, nodeName, askTimeout);

    RateLimits rateLimits = RateLimits.start(system, types.rateLimits(), nodeName, askTimeout);

    // This node's bulkheads and metrics, then the task entities that run behind and count into them.
    Bulkheads bulkheads = Bulkheads.start(system, types.bulkheads());
    NodeMetrics metrics = NodeMetrics.forNode(system, types.names(), bulkheads, breakers,
        () -> deadLetterQueue.ask(DeadLetterQueue.GetStats::new, askTimeout));
    var taskRegion = TaskSharding.init(
        system,
        new TaskRuntime(
            types,
            bulkheads,
            nodeName,
            Clock.systemUTC(),
            new Random(), // thread-safe: shared by every entity on this node
            config.getInt("steadfast.task.snapshot-every"),
            config.getDuration("steadfast.task.passivate-terminal-after"),
            entry -> deadLetterQueue.askWithStatus(replyTo -> new DeadLetterQueue.File(entry, replyTo), askTimeout),
            breakers,
            metrics,
            new StepReports(system),
            rateLimits));
    // Ids for tasks submitted without a key: on this node's task shards unless it is far busier
    // than another member, as they say every interval while this node runs anything.
    PeerLoads peerLoads = PeerLoads.start(system, config.getDuration("steadfast.task.peer-load-interval"), bulkheads::busy);
    TaskIds taskIds = TaskIds.start(system, bulkheads, peerLoads::leastWaiting);
    // Workflows: each step runs as one of the tasks above, and tells its workflow when it ends.
    WorkflowSettings workflows = WorkflowSettings.fromConfig(config);
    WorkflowEntity.init(system, workflows);

    // Schedules submit tasks, so they start after them.
    Schedules schedules = Schedules.start(
        system, config.getDuration("steadfast.schedules.on-time-window"), nodeName, askTimeout);

    // Membership: members whose process is gone are downed at once; this node watches that it
    // can serve tasks, and says so to /ready and the API.
    Membership.start(system, TaskEntity.ENTITY_KEY.name());

    // The read side: stats and the task listing, projected from the journal.
    ReadSide readSide = ReadSide.start(system);
    // Unfinished tasks are not remembered by sharding: this node's waker starts the open tasks of
    // the shards it comes to host, from the wake-up index (read with the read side's connections).
    TaskWaker.start(system, taskRegion, readSide.dataSource());
    // What operators read: the figures above, and every member with what it runs.
    ClusterOverview overview = ClusterOverview.start(
        system, NodeLoadReporter.of(types.bulkheads(), bulkheads), config.getDuration("steadfast.console.load-timeout"));
    ClusterFigures figures = new ClusterFigures(system, readSide.queries(), types, breakers, overview, askTimeout);

    // The API; management (/ready) only once the API takes requests.
    ObjectMapper mapper =
        JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    ApiErrors errors = new ApiErrors(mapper);
    RequestGuards guards = RequestGuards.fromConfig(config, errors);
    JournalBacklog journalBacklog = JournalBacklog.get(system);
    AdmissionControl admission = AdmissionControl.fromConfig(config, bulkheads::waitingAttempts,
        new AdmissionControl.Journal(journalBacklog::queued, journalBacklog.capacity()));
    Route api =
        Directives.concat(
            new OpenApiRoutes().routes(),
            new MetricsRoutes(metrics).routes(), // GET /metrics, beside /api/v1
            // Membership and the event stream also while the node cannot serve: that is when they matter.
            new ClusterRoutes(figures, mapper, errors).routes(),
            new EventStreamRoutes(figures, config.getDuration("steadfast.console.push-interval"), mapper, errors).routes(),
            errors.whileServing(Serving.get(system), () -> Directives.concat(
                new TaskRoutes(system, types, taskIds, admission, guards, mapper, errors, askTimeout,
                    TaskRoutes.maxBatchSize(config)).routes(),
                new CircuitBreakerRoutes(system, types.names(), mapper, errors, askTimeout,
                    config.getBoolean(CircuitBreakerRoutes.DRILL_KEY)).routes(),
                new DeadLetterRoutes(system, types, guards, mapper, errors, askTimeout).routes(),
                new ReadSideRoutes(figures, mapper, errors).routes(),
                new WorkflowRoutes(system, types, workflows.maxSteps(), readSide.queries(), guards, mapper, errors,
                    askTimeout).routes(),
                new ScheduleRoutes(system, schedules, types, guards, mapper, errors, askTimeout).routes(),
                new RateLimitRoutes(rateLimits, mapper, errors).routes())));
    // The console's pages carry no data and are served without the token; the API they call is guarded.
    Route console = new ConsoleRoutes().routes();
    HttpServer.start(
            system,
            Directives.concat(console, guards.guard(() -> api)),
            errors,
            config.getString("steadfast.node.host"),
            config.getInt("steadfast.node.http-port"))
        .thenRun(() -> {
          PekkoManagement.get(system).start();
          log.info("node {} started; task types {}", nodeName, types.names());
        });
  }
}
