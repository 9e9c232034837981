package io.steadfast.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableColumnNames;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The journal's writes as two JDBC batches per transaction: the event rows, then their tag rows.
 *
 * <p>pekko-persistence-jdbc writes a batch holding any tagged event one row at a time ({@code
 * INSERT} and {@code getGeneratedKeys} per row), because a tag row names its event by the
 * journal's generated {@code ordering}. Every task event is tagged for the read side, and the
 * journal batches the writes of all of a node's entities together, so every write went row by
 * row. Here a tag row finds its event by the journal's primary key ({@code persistence_id},
 * {@code sequence_number}) inside the same transaction, so neither insert needs a key back and
 * both go as one batch each. Rows, tables and the transaction are the plugin's: the same
 * {@code ordering} ends up in {@code event_tag}, and reads (replay, {@code eventsByTag}) are
 * untouched. Used through {@code jdbc-journal.dao}.
 *
 * <p>It also answers the highest sequence number of an entity that starts on an id this node has
 * just minted ({@link MintedIds}) without a query: 0, as nothing was ever written under it.
 *
 * <p>The same transaction keeps the wake-up index ({@link WakeIndex}): the entries of entities
 * whose events in it open or end them are upserted or removed as two more batches. Written with
 * the events, never after them, so that a crash between the two cannot leave an open task that
 * nothing will start, nor a finished one started again and again.
 */
public final class BatchedJournalDao extends DefaultJournalDao {
  /** 0 as the journal's {@code Future[Long]}, which Java sees as a future of a boxed Long. */
  private static final Future<Object> NOTHING_WRITTEN = Futures.successful(0L);

  private final String insertEvent;
  private final String insertTag;
  private final JournalBacklog backlog;
  private final MintedIds mintedIds;
  private final WakeIndex wakeIndex;
  private final String upsertOpen;
  private final String deleteOpen;

  public BatchedJournalDao(
      JdbcBackend.JdbcDatabaseDef db,
      JdbcProfile profile,
      JournalConfig journalConfig,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, journalConfig, serialization, ec, mat);
    this.insertEvent = insertEventSql(journalConfig.eventJournalTableConfiguration());
    this.insertTag = insertTagSql(journalConfig.eventJournalTableConfiguration(), journalConfig.eventTagTableConfiguration());
    this.backlog = JournalBacklog.get(Adapter.toTyped(mat.system()));
    this.mintedIds = MintedIds.get(Adapter.toTyped(mat.system()));
    this.wakeIndex = WakeIndex.get(Adapter.toTyped(mat.system()));
    Option<String> schema = journalConfig.eventJournalTableConfiguration().schemaName();
    this.upsertOpen = WakeIndex.upsertSql(DatabaseKind.of(profile), table(schema, WakeIndex.TABLE));
    this.deleteOpen = WakeIndex.deleteSql(table(schema, WakeIndex.TABLE));
  }

  /**
   * 0 without a query for an id whose entity claimed it as minted here (its recovery reads
   * nothing else), once; the journal's answer for any other. If the claim was wrong after all
   * (a rare race, see {@link MintedIds}), the entity's first write of sequence number 1 breaks the
   * journal's primary key and fails, and the entity, restarted, asks again and gets the truth.
   */
  @Override
  public Future<Object> highestSequenceNr(String persistenceId, long fromSequenceNr) {
    if (mintedIds.takeClaim(persistenceId)) return NOTHING_WRITTEN;
    return super.highestSequenceNr(persistenceId, fromSequenceNr);
  }

  /** The plugin's queue, counted in and out for admission control. */
  @Override
  public Future<BoxedUnit> queueWriteJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    backlog.offered();
    Future<BoxedUnit> written = super.queueWriteJournalRows(rows);
    written.onComplete(done -> {
      backlog.done();
      return BoxedUnit.UNIT;
    }, ExecutionContext.parasitic$.MODULE$);
    return written;
  }

  @Override
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    DBIOAction<BoxedUnit, ?, ?> write = new SimpleJdbcAction<>(context -> {
      try {
        write(context.connection(), rows);
      } catch (SQLException e) {
        throw new JournalWriteException(e);
      }
      return BoxedUnit.UNIT;
    });
    @SuppressWarnings("unchecked")
    DBIOAction<BoxedUnit, ?, ?> inTransaction =
        (DBIOAction<BoxedUnit, ?, ?>) profile().api().jdbcActionExtensionMethods(write).transactionally();
    @SuppressWarnings("unchecked")
    Future<BoxedUnit> done = (Future<BoxedUnit>) db().run((DBIOAction) inTransaction);
    return done;
  }

  /** In the order given: the journal hands over each entity's events in sequence order. */
  private void write(Connection connection, Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows)
      throws SQLException {
    boolean anyTag = false;
    WakeIndex.Registration index = wakeIndex.registration();
    // Per persistence id, whether its last opening or closing event in this batch opens it.
    Map<String, Boolean> opened = null;
    try (PreparedStatement events = connection.prepareStatement(insertEvent)) {
      var it = rows.iterator();
      while (it.hasNext()) {
        Tuple2<JournalPekkoSerializationRow, Set<String>> row = it.next();
        bindEvent(events, row._1());
        events.addBatch();
        anyTag |= row._2().nonEmpty();
        if (index != null) {
          Boolean opens = index.opens(row._1().persistenceId(), row._1().eventSerManifest());
          if (opens != null) {
            if (opened == null) opened = new LinkedHashMap<>();
            opened.put(row._1().persistenceId(), opens);
          }
        }
      }
      events.executeBatch();
    }
    if (anyTag) writeTags(connection, rows);
    if (opened != null) writeIndex(connection, index, opened);
  }

  private void writeTags(Connection connection, Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows)
      throws SQLException {
    try (PreparedStatement tags = connection.prepareStatement(insertTag)) {
      var it = rows.iterator();
      while (it.hasNext()) {
        Tuple2<JournalPekkoSerializationRow, Set<String>> row = it.next();
        var tagIt = row._2().iterator();
        while (tagIt.hasNext()) {
          tags.setString(1, tagIt.next());
          tags.setString(2, row._1().persistenceId());
          tags.setLong(3, row._1().sequenceNumber());
          tags.addBatch();
        }
      }
      tags.executeBatch();
    }
  }

  /**
   * The index after this batch, applied as its rows came: only each entity's last opening or
   * closing event counts (a task submitted and finished in one batch leaves nothing). An open is
   * an upsert (a redrive reopens a task that may still have its entry); removing an entry that is
   * not there is a no-op.
   */
  private void writeIndex(Connection connection, WakeIndex.Registration index, Map<String, Boolean> opened)
      throws SQLException {
    boolean anyOpen = opened.containsValue(Boolean.TRUE);
    boolean anyClosed = opened.containsValue(Boolean.FALSE);
    if (anyOpen) {
      try (PreparedStatement upserts = connection.prepareStatement(upsertOpen)) {
        for (Map.Entry<String, Boolean> entry : opened.entrySet()) {
          if (!entry.getValue()) continue;
          upserts.setString(1, entry.getKey());
          upserts.setInt(2, index.shardOf().applyAsInt(entry.getKey()));
          upserts.addBatch();
        }
        upserts.executeBatch();
      }
    }
    if (anyClosed) {
      try (PreparedStatement deletes = connection.prepareStatement(deleteOpen)) {
        for (Map.Entry<String, Boolean> entry : opened.entrySet()) {
          if (entry.getValue()) continue;
          deletes.setString(1, entry.getKey());
          deletes.addBatch();
        }
        deletes.executeBatch();
      }
    }
  }

  private static void bindEvent(PreparedStatement statement, JournalPekkoSerializationRow row) throws SQLException {
    statement.setBoolean(1, row.deleted());
    statement.setString(2, row.persistenceId());
    statement.setLong(3, row.sequenceNumber());
    statement.setString(4, row.writer());
    statement.setLong(5, row.writeTimestamp());
    statement.setString(6, row.adapterManifest());
    statement.setBytes(7, row.eventPayload());
    statement.setInt(8, row.eventSerId());
    statement.setString(9, row.eventSerManifest());
    Option<byte[]> metaPayload = row.metaPayload();
    if (metaPayload.isDefined()) statement.setBytes(10, metaPayload.get());
    else statement.setNull(10, Types.VARBINARY);
    Option<Object> metaSerId = row.metaSerId();
    if (metaSerId.isDefined()) statement.setInt(11, (Integer) metaSerId.get());
    else statement.setNull(11, Types.INTEGER);
    Option<String> metaSerManifest = row.metaSerManifest();
    if (metaSerManifest.isDefined()) statement.setString(12, metaSerManifest.get());
    else statement.setNull(12, Types.VARCHAR);
  }

  private static String insertEventSql(EventJournalTableConfiguration journal) {
    EventJournalTableColumnNames c = journal.columnNames();
    return "INSERT INTO " + table(journal.schemaName(), journal.tableName()) + " ("
        + String.join(", ",
            quote(c.deleted()), quote(c.persistenceId()), quote(c.sequenceNumber()), quote(c.writer()),
            quote(c.writeTimestamp()), quote(c.adapterManifest()), quote(c.eventPayload()), quote(c.eventSerId()),
            quote(c.eventSerManifest()), quote(c.metaPayload()), quote(c.metaSerId()), quote(c.metaSerManifest()))
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  }

  /** The tag row of an event written earlier in the same transaction, found by its key. */
  private static String insertTagSql(EventJournalTableConfiguration journal, EventTagTableConfiguration tags) {
    EventJournalTableColumnNames c = journal.columnNames();
    return "INSERT INTO " + table(tags.schemaName(), tags.tableName())
        + " (" + quote(tags.columnNames().eventId()) + ", " + quote(tags.columnNames().tag()) + ")"
        + " SELECT " + quote(c.ordering()) + ", CAST(? AS VARCHAR(256))"
        + " FROM " + table(journal.schemaName(), journal.tableName())
        + " WHERE " + quote(c.persistenceId()) + " = ? AND " + quote(c.sequenceNumber()) + " = ?";
  }

  private static String table(Option<String> schema, String name) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(name) : quote(name);
  }

  private static String quote(String identifier) {
    return '"' + identifier + '"';
  }

  /** A failed batch, for the journal to report as the failed write of each entity in it. */
  static final class JournalWriteException extends RuntimeException {
    JournalWriteException(SQLException cause) {
      super(cause.getMessage(), cause);
    }
  }
}
