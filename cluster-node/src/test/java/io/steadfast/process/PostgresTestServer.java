package io.steadfast.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server for one test cluster: {@code initdb} of a fresh data directory in
 * the test's directory, started with {@code pg_ctl} on a free loopback port, stopped ({@code -m
 * immediate}) on close, also when the test failed. Needs Debian's {@code postgresql} package
 * (scripts/test.sh installs it when missing). initdb refuses to run as root, so as root the
 * server runs as the {@code postgres} OS user, owner of its directory.
 */
final class PostgresTestServer implements TestDatabase {
  static final String BIN_PROPERTY = "steadfast.it.postgres.bin";
  private static final String USER = "steadfast";
  private static final String DATABASE = "steadfast";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path home;
  private final Path data;
  private final int port;
  private final Path bin;
  private final boolean asPostgresUser;
  private boolean initialised;

  PostgresTestServer(Path home, int port) throws IOException {
    this.home = home;
    this.data = home.resolve("data");
    this.port = port;
    this.bin = binaries();
    this.asPostgresUser = "root".equals(System.getProperty("user.name"));
    Files.createDirectories(home);
    if (asPostgresUser) {
      Files.setOwner(home, home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
    }
  }

  /** {@code -Dsteadfast.it.postgres.bin}, else the newest /usr/lib/postgresql/N/bin with an initdb. */
  private static Path binaries() throws IOException {
    String configured = System.getProperty(BIN_PROPERTY);
    if (configured != null) return Path.of(configured);
    Path versions = Path.of("/usr/lib/postgresql");
    Optional<Path> newest = Optional.empty();
    if (Files.isDirectory(versions)) {
      try (Stream<Path> dirs = Files.list(versions)) {
        newest = dirs.map(version -> version.resolve("bin"))
            .filter(dir -> Files.isExecutable(dir.resolve("initdb")))
            .max(Comparator.comparingInt(dir -> versionNumber(dir.getParent())));
      }
    }
    return newest.orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/"
        + "initdb): apt-get install -y postgresql (scripts/test.sh does), or set -D" + BIN_PROPERTY));
  }

  private static int versionNumber(Path versionDir) {
    try {
      return Integer.parseInt(versionDir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public void start() throws Exception {
    if (!initialised) {
      // --no-sync: only initdb's own files; the server itself syncs every commit (the outage test relies on it).
      run(Duration.ofSeconds(120), "initdb", "-D", data.toString(), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync");
    }
    run(START_TIMEOUT.plusSeconds(10), "pg_ctl", "-D", data.toString(), "-w", "-t", String.valueOf(START_TIMEOUT.toSeconds()),
        "-l", home.resolve("server.log").toString(),
        "-o", "-p " + port + " -k " + home + " -c listen_addresses=127.0.0.1 -c max_connections=200",
        "start");
    LocalCluster.await("PostgreSQL on port " + port, START_TIMEOUT, () -> canQuery(adminUrl()));
    if (!initialised) {
      try (Connection connection = DriverManager.getConnection(adminUrl(), USER, "");
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE DATABASE " + DATABASE);
      }
      initialised = true;
    }
    LocalCluster.await("database " + DATABASE + " on port " + port, START_TIMEOUT, this::canQuery);
  }

  /**
   * SIGKILL of the postmaster alone, as a crash of the server would leave it. Its backends see it
   * gone and exit by themselves; a new server cannot start while any still holds the shared
   * memory, so this waits for them (and kills those that linger past 30 s).
   */
  @Override
  public void kill() throws Exception {
    ProcessHandle postmaster = postmaster().orElseThrow(() -> new IllegalStateException("no postmaster running"));
    List<ProcessHandle> backends = postmaster.children().toList();
    postmaster.destroyForcibly();
    awaitGone(postmaster, Duration.ofSeconds(30));
    for (ProcessHandle backend : backends) awaitGone(backend, Duration.ofSeconds(30));
  }

  @Override
  public void pause() throws Exception {
    signalAll("STOP");
  }

  @Override
  public void resume() throws Exception {
    signalAll("CONT");
  }

  /** The postmaster and each of its processes (backends, writers). */
  private void signalAll(String signal) throws Exception {
    ProcessHandle postmaster = postmaster().orElseThrow(() -> new IllegalStateException("no postmaster running"));
    TestDatabase.signal(postmaster, signal);
    for (ProcessHandle child : postmaster.children().toList()) TestDatabase.signal(child, signal);
  }

  private static void awaitGone(ProcessHandle process, Duration timeout) {
    try {
      LocalCluster.await("process " + process.pid() + " gone", timeout, () -> !process.isAlive());
    } catch (AssertionError lingering) {
      process.destroyForcibly();
      LocalCluster.await("process " + process.pid() + " gone after SIGKILL", Duration.ofSeconds(10), () -> !process.isAlive());
    }
  }

  /** The running postmaster, from the first line of its pid file. */
  Optional<ProcessHandle> postmaster() throws IOException {
    Path pidFile = data.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) return Optional.empty();
    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    if (lines.isEmpty()) return Optional.empty();
    return ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive);
  }

  @Override
  public List<String> nodeProperties() {
    return List.of("-Dsteadfast.db.kind=postgres", "-Dsteadfast.db.url=" + url(), "-Dsteadfast.db.user=" + USER,
        "-Dsteadfast.db.password=");
  }

  @Override
  public String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  private String adminUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  @Override
  public String user() {
    return USER;
  }

  @Override
  public String password() {
    return "";
  }

  private boolean canQuery(String url) {
    try (Connection connection = DriverManager.getConnection(url, USER, "")) {
      return connection.isValid(2);
    } catch (Exception e) {
      return false;
    }
  }

  /** Stops the server at once (its data is the test's, thrown away); SIGKILL if pg_ctl cannot. */
  @Override
  public void close() {
    try {
      if (postmaster().isEmpty()) return;
      run(Duration.ofSeconds(30), "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
    } catch (Exception | AssertionError e) {
      // fall through to the SIGKILL below
    }
    try {
      Optional<ProcessHandle> left = postmaster();
      if (left.isPresent()) kill();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop PostgreSQL in " + data, e);
    }
  }

  /** Runs one of PostgreSQL's programs (as the postgres user when we are root); its output goes to pg_ctl.log. */
  private void run(Duration timeout, String program, String... arguments) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (asPostgresUser) command.addAll(List.of("runuser", "-u", "postgres", "--"));
    command.add(bin.resolve(program).toString());
    command.addAll(List.of(arguments));
    Process process = new ProcessBuilder(command)
        .directory(home.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("pg_ctl.log").toFile()))
        .start();
    if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(program + " did not finish within " + timeout + "; see " + home.resolve("pg_ctl.log"));
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(program + " exited " + process.exitValue() + "; see " + home.resolve("pg_ctl.log")
          + " and " + home.resolve("server.log"));
    }
  }
}
