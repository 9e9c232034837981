package io.steadfast.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the journal tables if they are missing, from the store's script ({@link
 * DatabaseKind#schemaScript()}). Runs before the actor system starts, at every start of every
 * node; every statement is idempotent. Waits for a database that is still starting (an H2 or
 * PostgreSQL server launched a moment before) up to a deadline.
 */
public final class JournalSchema {
  private static final Logger log = LoggerFactory.getLogger(JournalSchema.class);
  private JournalSchema() {}

  public static void ensure(DatabaseKind kind, String url, String user, String password, Duration connectTimeout)
      throws SQLException, InterruptedException {
    List<String> statements = statements(kind.schemaScript());
    withConnection(url, user, password, connectTimeout, connection -> create(connection, statements));
  }

  /** Work on a connection of its own, before the actor system starts. */
  interface ConnectionWork {
    void run(Connection connection) throws SQLException;
  }

  /**
   * Runs {@code work} on a fresh connection, again every 500 ms while the database refuses it (a
   * server launched a moment before is still starting), until {@code connectTimeout}.
   */
  static void withConnection(String url, String user, String password, Duration connectTimeout, ConnectionWork work)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + connectTimeout.toNanos();
    while (true) {
      try (Connection connection = DriverManager.getConnection(url, user, password)) {
        work.run(connection);
        return;
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) throw e;
        log.info("database at {} not ready ({}); retrying", url, e.getMessage());
        Thread.sleep(500);
      }
    }
  }

  private static void create(Connection connection, List<String> statements) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      for (String sql : statements) statement.execute(sql);
    }
  }

  static List<String> statements(String script) {
    try (InputStream in = JournalSchema.class.getResourceAsStream(script)) {
      if (in == null) throw new IllegalStateException("missing " + script);
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String withoutComments = text.replaceAll("(?m)^--.*$", "");
      return Arrays.stream(withoutComments.split(";")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + script, e);
    }
  }
}
