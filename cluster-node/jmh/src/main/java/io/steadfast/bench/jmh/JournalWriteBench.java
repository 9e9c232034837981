package io.steadfast.bench.jmh;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.steadfast.storage.BatchedJournalDao;
import io.steadfast.storage.DatabaseKind;
import io.steadfast.storage.JournalSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.db.SlickDatabase;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.jdbc.journal.dao.BaseDao;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Materializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.Await;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What the journal pays per event row, tag row included, to write a batch of 100 tagged events
 * (what a busy node's journal writes in one transaction) into an in-memory H2: the plugin's DAO,
 * which inserts a tagged batch row by row, against {@link BatchedJournalDao}. Time per event row;
 * the database's work and the JDBC round trips are in the same thread, so the difference is what
 * a node and its database save per row.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JournalWriteBench {
  private static final int ROWS = 100;

  @Param({"plugin", "batched"})
  public String dao;

  private ActorSystem<Void> system;
  private BaseDao<Tuple2<JournalPekkoSerializationRow, Set<String>>> journal;
  private final byte[] payload = new byte[180];
  private final Set<String> tags = scala.collection.immutable.Set$.MODULE$.<String>empty().incl("task-0");

  @Setup(Level.Trial)
  public void start() throws Exception {
    String url = "jdbc:h2:mem:jmh-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
    JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(5));
    Config config = ConfigFactory.parseString("pekko.loglevel = WARNING")
        .withFallback(ConfigFactory.parseResources("persistence.conf"))
        .withValue("steadfast.db.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("steadfast.db.user", ConfigValueFactory.fromAnyRef("sa"))
        .withValue("steadfast.db.password", ConfigValueFactory.fromAnyRef(""))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    system = ActorSystem.create(Behaviors.empty(), "jmh", config);
    var classic = Adapter.toClassic(system);
    Config journalConfig = config.getConfig("jdbc-journal");
    SlickDatabase slick = ((SlickExtensionImpl) SlickExtension.get(classic)).database(journalConfig);
    var db = slick.database();
    var settings = new JournalConfig(journalConfig);
    var serialization = SerializationExtension.get(classic);
    var materializer = Materializer.matFromSystem(system);
    journal = dao.equals("batched")
        ? new BatchedJournalDao(db, slick.profile(), settings, serialization, system.executionContext(), materializer)
        : new DefaultJournalDao(db, slick.profile(), settings, serialization, system.executionContext(), materializer);
  }

  @TearDown(Level.Trial)
  public void stop() {
    system.terminate();
  }

  /** 100 events of 100 new entities, one tag each, in one transaction. */
  @Benchmark
  @OperationsPerInvocation(ROWS)
  public Object writeTaggedBatch() throws Exception {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows = new ArrayList<>(ROWS);
    String prefix = "Task|" + UUID.randomUUID() + "-";
    long now = System.currentTimeMillis();
    for (int i = 0; i < ROWS; i++) {
      rows.add(new Tuple2<>(new JournalPekkoSerializationRow(Long.MIN_VALUE, false, prefix + i, 1, "jmh", now, "",
          payload, 33, "S", Option.empty(), Option.empty(), Option.empty()), tags));
    }
    Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> batch = CollectionConverters.asScala(rows).toSeq();
    return Await.result(journal.writeJournalRows(batch), scala.concurrent.duration.Duration.create(30, TimeUnit.SECONDS));
  }
}
