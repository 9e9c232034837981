package io.steadfast.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.steadfast.storage.DatabaseKind;
import io.steadfast.storage.JournalSchema;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

/**
 * The node's journal (persistence.conf: pekko-persistence-jdbc through {@code BatchedJournalDao})
 * on a private in-memory H2 database with the node's schema, and a connection to count its rows.
 */
public final class InMemoryJournal implements AutoCloseable {
  private final String url =
      "jdbc:h2:mem:journal-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;DATABASE_TO_UPPER=false";
  private final Connection connection;

  public InMemoryJournal() {
    try {
      JournalSchema.ensure(DatabaseKind.H2, url, "sa", "", Duration.ofSeconds(5));
      connection = DriverManager.getConnection(url, "sa", "");
    } catch (SQLException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The database's JDBC URL (user sa, no password). */
  public String url() {
    return url;
  }

  /** An actor system's configuration: {@code overrides}, then the persistence settings on this database. */
  public Config config(Config overrides) {
    return overrides
        .withFallback(ConfigFactory.parseResources("persistence.conf"))
        .withValue("steadfast.db.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("steadfast.db.user", ConfigValueFactory.fromAnyRef("sa"))
        .withValue("steadfast.db.password", ConfigValueFactory.fromAnyRef(""))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  /** The one number {@code sql} selects, with {@code parameters} bound in order. */
  public int count(String sql, String... parameters) {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) statement.setString(i + 1, parameters[i]);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How many events the journal holds for {@code persistenceId}. */
  public int events(String persistenceId) {
    return count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", persistenceId);
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
