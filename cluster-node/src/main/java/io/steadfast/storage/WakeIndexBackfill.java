package io.steadfast.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the wake-up index from the journal, once per database: a journal written before the
 * index existed has no entries for its open entities, and nothing would start them until a
 * request reached each one.
 *
 * <p>Runs at every node start before the actor system (so before this node writes anything), and
 * does its work once: the marker row of {@code task_open_backfill} says whether it was done, and
 * is held locked ({@code SELECT ... FOR UPDATE}) while it is being done, in the transaction that
 * writes the entries and sets the marker. Every other node starting meanwhile waits on that lock
 * in this same step, before it writes anything, so the journal it reads does not change under it.
 * An entity is open when the last of its events that opens or closes it opens it. On a new
 * database it reads nothing and only sets the marker.
 *
 * <p>The one thing it cannot cover is a node of the previous version still running (a rolling
 * upgrade): tasks it opens after the backfill are not indexed. Upgrade by stopping the whole
 * cluster (README).
 */
public final class WakeIndexBackfill {
  private static final Logger log = LoggerFactory.getLogger(WakeIndexBackfill.class);
  private static final int BATCH = 1000;

  private WakeIndexBackfill() {}

  public static void run(DatabaseKind kind, String url, String user, String password, Duration connectTimeout,
      WakeIndex.Registration registration) throws SQLException, InterruptedException {
    JournalSchema.withConnection(url, user, password, connectTimeout, connection -> run(kind, connection, registration));
  }

  /** On {@code connection}, which it commits or rolls back; the number of entries written, or -1 if done before. */
  static int run(DatabaseKind kind, Connection connection, WakeIndex.Registration registration) throws SQLException {
    connection.setAutoCommit(false);
    try {
      if (kind == DatabaseKind.H2) {
        // H2 gives up on a lock after a second; another node's backfill of a long journal takes longer.
        try (Statement statement = connection.createStatement()) {
          statement.execute("SET LOCK_TIMEOUT 600000");
        }
      }
      if (done(connection)) {
        connection.commit();
        return -1;
      }
      long started = System.nanoTime();
      int written = fill(kind, connection, registration);
      try (Statement statement = connection.createStatement()) {
        statement.executeUpdate("UPDATE \"task_open_backfill\" SET \"done\" = TRUE WHERE \"id\" = 1");
      }
      connection.commit();
      log.info("wake-up index filled from the journal: {} open entities of {} ({} ms)", written,
          registration.persistenceIdPrefix(), (System.nanoTime() - started) / 1_000_000);
      return written;
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    }
  }

  /** Locks the marker row for the rest of the transaction. */
  private static boolean done(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(
            "SELECT \"done\" FROM \"task_open_backfill\" WHERE \"id\" = 1 FOR UPDATE")) {
      if (!row.next()) throw new SQLException("task_open_backfill has no marker row: run the schema script");
      return row.getBoolean(1);
    }
  }

  private static int fill(DatabaseKind kind, Connection connection, WakeIndex.Registration registration)
      throws SQLException {
    List<String> manifests = new ArrayList<>(registration.opening());
    manifests.addAll(registration.closing());
    String sql = "SELECT \"persistence_id\", \"event_ser_manifest\" FROM \"event_journal\""
        + " WHERE \"persistence_id\" LIKE ? ESCAPE '!' AND \"event_ser_manifest\" IN ("
        + String.join(", ", Collections.nCopies(manifests.size(), "?")) + ")"
        + " ORDER BY \"persistence_id\", \"sequence_number\"";
    int written = 0;
    try (PreparedStatement scan = connection.prepareStatement(sql);
        PreparedStatement upsert = connection.prepareStatement(WakeIndex.upsertSql(kind, '"' + WakeIndex.TABLE + '"'))) {
      scan.setString(1, likePrefix(registration.persistenceIdPrefix()));
      for (int i = 0; i < manifests.size(); i++) scan.setString(i + 2, manifests.get(i));
      scan.setFetchSize(BATCH); // PostgreSQL streams with a cursor (in a transaction) instead of loading it all
      int batched = 0;
      String current = null;
      boolean open = false;
      try (ResultSet rows = scan.executeQuery()) {
        while (true) {
          boolean more = rows.next();
          String persistenceId = more ? rows.getString(1) : null;
          if (current != null && !current.equals(persistenceId) && open) {
            upsert.setString(1, current);
            upsert.setInt(2, registration.shardOf().applyAsInt(current));
            upsert.addBatch();
            written++;
            if (++batched == BATCH) {
              upsert.executeBatch();
              batched = 0;
            }
          }
          if (!more) break;
          current = persistenceId;
          open = Boolean.TRUE.equals(registration.opens(persistenceId, rows.getString(2)));
        }
      }
      if (batched > 0) upsert.executeBatch();
    }
    return written;
  }

  /** A LIKE pattern for ids starting with {@code prefix}, its wildcards escaped with '!'. */
  static String likePrefix(String prefix) {
    return prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
  }
}
