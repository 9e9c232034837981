package io.steadfast.stats;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The read side's connections (a small pool of its own, apart from the journal's) and the
 * threads its blocking queries run on, never an actor's.
 */
public final class ReadSide {
  /** Connections: the projection slices, plus a couple for API queries and one for the task waker. */
  static final int POOL_SIZE = 7;

  private final HikariDataSource dataSource;
  private final Executor queries;

  private ReadSide(HikariDataSource dataSource, Executor queries) {
    this.dataSource = dataSource;
    this.queries = queries;
  }

  public static ReadSide start(ActorSystem<?> system) {
    Config db = system.settings().config().getConfig("steadfast.db");
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.getString("url"));
    config.setUsername(db.getString("user"));
    config.setPassword(db.getString("password"));
    config.setMaximumPoolSize(POOL_SIZE);
    config.setPoolName("steadfast-read-side");
    // Connect lazily: start-up (on an actor thread) must never wait on the database.
    config.setInitializationFailTimeout(-1);
    HikariDataSource dataSource = new HikariDataSource(config);
    AtomicInteger threads = new AtomicInteger();
    Executor queries = Executors.newFixedThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "steadfast-read-side-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-read-side",
        () -> {
          dataSource.close();
          return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
        });
    TaskSummaryProjection.init(system, dataSource);
    WorkflowSummaryProjection.init(system, dataSource);
    return new ReadSide(dataSource, queries);
  }

  /** The read side's pool, for other blocking readers on threads of their own (the task waker). */
  public DataSource dataSource() {
    return dataSource;
  }

  public ReadSideQueries queries() {
    return new ReadSideQueries(dataSource, queries, java.time.Clock.systemUTC());
  }
}
