package io.steadfast.process;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;

/**
 * The database server of a {@link LocalCluster}: H2's TCP server by default, or a private
 * PostgreSQL server with {@code -Dsteadfast.it.db=postgres} (the second Failsafe execution).
 * Either way a process of its own on a free loopback port, which tests can kill and start again.
 */
interface TestDatabase extends AutoCloseable {
  String SYSTEM_PROPERTY = "steadfast.it.db";

  /** The store the process tests run on, from {@code -Dsteadfast.it.db} (h2 when unset). */
  static String kind() {
    return System.getProperty(SYSTEM_PROPERTY, "h2").trim().toLowerCase(java.util.Locale.ROOT);
  }

  /** Starts the server (the first time, with an empty database) and waits until it takes queries. */
  void start() throws Exception;

  /** SIGKILL of the server (for PostgreSQL, its postmaster): whatever it had not made durable is gone. */
  void kill() throws Exception;

  /** SIGSTOP of every process of the server: it keeps its connections and answers nothing. */
  void pause() throws Exception;

  /** SIGCONT of every process of the server. */
  void resume() throws Exception;

  static void signal(ProcessHandle process, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** The settings every node gets to use this database. */
  List<String> nodeProperties();

  String url();

  String user();

  String password();

  /** Stops the server for good; also when the test failed. */
  @Override
  void close();

  default Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), user(), password());
  }

  default boolean canQuery() {
    try (Connection connection = connect()) {
      return connection.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }
}
