package io.steadfast.process;

import static io.steadfast.testing.Waiting.waitFor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real Steadfast cluster for tests: a database server (H2's TCP server, or PostgreSQL with
 * {@code -Dsteadfast.it.db=postgres}: {@link TestDatabase}) and N node JVMs, started from the
 * packaged node (target/cluster-node.jar + target/lib) on free loopback ports. Every process it
 * starts is killed on {@link #close()} and, should the test JVM itself be stopped, by a shutdown
 * hook.
 */
public final class LocalCluster implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration POLL_EVERY = Duration.ofMillis(250);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String classpath;
  private final TestDatabase database;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Process> started = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  private final Thread killOnExit = new Thread(this::killAll, "local-cluster-cleanup");

  /** One node's ports; {@code process} is null while the node is down. */
  public static final class Node {
    final int index;
    final int remotingPort;
    final int httpPort;
    final int managementPort;
    volatile Process process;

    Node(int index, int remotingPort, int httpPort, int managementPort) {
      this.index = index;
      this.remotingPort = remotingPort;
      this.httpPort = httpPort;
      this.managementPort = managementPort;
    }

    /** The name attempts record: the node's remoting address. */
    public String name() {
      return "127.0.0.1:" + remotingPort;
    }

    public URI api(String path) {
      return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public boolean isUp() {
      return process != null && process.isAlive();
    }
  }

  private final List<String> extraProperties;

  private LocalCluster(Path dir, int size, List<String> extraProperties) throws IOException {
    this.dir = dir;
    this.extraProperties = List.copyOf(extraProperties);
    String jar = Objects.requireNonNull(System.getProperty("steadfast.node.jar"), "steadfast.node.jar");
    String lib = Objects.requireNonNull(System.getProperty("steadfast.node.lib"), "steadfast.node.lib");
    this.classpath = jar + File.pathSeparator + lib + File.separator + "*";
    this.database = switch (TestDatabase.kind()) {
      case "h2" -> new H2TestServer(dir.resolve("h2"), freePort(), javaBin(), this::spawnH2);
      case "postgres" -> new PostgresTestServer(dir.resolve("postgres"), freePort());
      default -> throw new IllegalArgumentException(
          "-D" + TestDatabase.SYSTEM_PROPERTY + "=" + TestDatabase.kind() + ": expected h2 or postgres");
    };
    for (int i = 1; i <= size; i++) nodes.add(new Node(i, freePort(), freePort(), freePort()));
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /** Starts the database server and {@code size} nodes, and waits until every node is ready. */
  public static LocalCluster start(String name, int size) throws Exception {
    return start(name, size, List.of());
  }

  /**
   * As {@link #start(String, int)}, with extra node settings such as {@code
   * -Dsteadfast.task-types.doomed.handler=flaky}.
   */
  public static LocalCluster start(String name, int size, List<String> extraProperties) throws Exception {
    String store = TestDatabase.kind().equals("h2") ? "" : "-" + TestDatabase.kind();
    Path dir = Path.of("target", "process-it", name + store + "-" + System.currentTimeMillis()).toAbsolutePath();
    Files.createDirectories(dir);
    LocalCluster cluster = new LocalCluster(dir, size, extraProperties);
    try {
      cluster.database.start();
      for (Node node : cluster.nodes) cluster.launch(node);
      for (Node node : cluster.nodes) cluster.awaitReady(node);
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  public Node node(int index) {
    return nodes.get(index - 1);
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** One of the nodes that are up, chosen by {@code salt} (spreads requests over the survivors). */
  public Node anyUp(int salt) {
    List<Node> up = nodes.stream().filter(Node::isUp).toList();
    return up.get(Math.floorMod(salt, up.size()));
  }

  // ---------------------------------------------------------------- process control

  private Process spawnH2(List<String> command) {
    try {
      return spawn("h2", command);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Starts node {@code node} (again), with every node of the cluster as a seed. */
  public void launch(Node node) throws IOException {
    List<Integer> seeds = nodes.stream().map(n -> n.remotingPort).toList();
    node.process = spawn("node-" + node.index, nodeCommand(node, seeds));
  }

  /**
   * Starts a node whose only seed is a port nothing listens on: it never joins, like a node cut
   * off from its cluster. It is not one of {@link #nodes()}; {@link #close()} kills it too.
   */
  public Node launchCutOff() throws IOException {
    Node node = new Node(nodes.size() + 1, freePort(), freePort(), freePort());
    node.process = spawn("cut-off-node", nodeCommand(node, List.of(freePort())));
    return node;
  }

  private List<String> nodeCommand(Node node, List<Integer> seedPorts) {
    List<String> command = new ArrayList<>();
    command.add(javaBin());
    command.add("-Xmx384m");
    command.add("-XX:TieredStopAtLevel=1"); // as scripts/cluster.sh: several JVMs share two cores
    command.add("-Dsteadfast.node.host=127.0.0.1");
    command.add("-Dsteadfast.node.remoting-port=" + node.remotingPort);
    command.add("-Dsteadfast.node.http-port=" + node.httpPort);
    command.add("-Dsteadfast.node.management-port=" + node.managementPort);
    command.addAll(database.nodeProperties());
    command.add("-Dsteadfast.run-dir=" + dir.resolve("node-" + node.index));
    command.addAll(extraProperties);
    for (int i = 0; i < seedPorts.size(); i++) {
      command.add("-Dpekko.cluster.seed-nodes." + i + "=pekko://steadfast@127.0.0.1:" + seedPorts.get(i));
    }
    command.add("-cp");
    command.add(classpath);
    command.add("io.steadfast.Main");
    return command;
  }

  public void awaitReady(Node node) {
    await("node " + node.index + " ready (log: " + log("node-" + node.index) + ")", READY_TIMEOUT,
        () -> {
          if (!node.isUp()) throw new AssertionError("node " + node.index + " exited; see " + log("node-" + node.index));
          return status(URI.create("http://127.0.0.1:" + node.managementPort + "/ready")) == 200;
        });
  }

  /** SIGKILL of the database server: whatever it had not written out is gone. */
  public void killDatabase() throws Exception {
    database.kill();
  }

  /** Starts the database server again on the same port, with the same files. */
  public void restartDatabase() throws Exception {
    database.start();
  }

  /** SIGSTOP of the database server: every statement waits until {@link #resumeDatabase()}. */
  public void pauseDatabase() throws Exception {
    database.pause();
  }

  public void resumeDatabase() throws Exception {
    database.resume();
  }

  /** The store the cluster runs on: "h2" or "postgres". */
  public String databaseKind() {
    return TestDatabase.kind();
  }

  /** SIGSTOP: the JVM freezes with its sockets open, as in a long stop-the-world pause. */
  public void pause(Node node) throws Exception {
    signal(node, "STOP");
  }

  /** SIGCONT: the paused JVM goes on. */
  public void resume(Node node) throws Exception {
    signal(node, "CONT");
  }

  private void signal(Node node, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(node.process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + node.process.pid() + " failed");
    }
  }

  /** SIGKILL: the node gets no chance to hand anything over. */
  public void kill(Node node) throws InterruptedException {
    node.process.destroyForcibly();
    node.process.waitFor(30, TimeUnit.SECONDS);
    node.process = null;
  }

  /** SIGTERM: the node leaves the cluster and hands its shards over (coordinated shutdown). */
  public void stopGracefully(List<Node> toStop) throws InterruptedException {
    for (Node node : toStop) node.process.destroy();
    for (Node node : toStop) {
      if (!node.process.waitFor(60, TimeUnit.SECONDS)) node.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      node.process = null;
    }
  }

  private Process spawn(String name, List<String> command) throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile()))
            .start();
    synchronized (started) {
      started.add(process);
    }
    return process;
  }

  /** Every line node {@code node} logged so far. */
  public List<String> logLines(Node node) throws IOException {
    return Files.readAllLines(log("node-" + node.index));
  }

  private Path log(String name) {
    return dir.resolve(name + ".log");
  }

  @Override
  public void close() {
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or has run; nothing left to do
    }
  }

  private void killAll() {
    List<Process> all;
    synchronized (started) {
      all = new ArrayList<>(started);
    }
    for (Process process : all) process.destroyForcibly();
    for (Process process : all) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    database.close();
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Every port handed out in this JVM: a port free now is free again once closed, and may come twice. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A loopback port free now and not handed out before in this JVM: the kernel may give the same
   * ephemeral port to two probes in a row, and then two processes of one cluster (one node's API,
   * another's remoting) race to bind it.
   */
  private static int freePort() throws IOException {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        if (HANDED_OUT.add(socket.getLocalPort())) return socket.getLocalPort();
      }
    }
  }

  // ---------------------------------------------------------------- HTTP

  /** POSTs a task to {@code node}; returns the new task's id. */
  public String submit(Node node, String type, String payloadJson) throws Exception {
    String body = "{\"type\":\"" + type + "\",\"payload\":" + payloadJson + "}";
    HttpResponse<String> response = post(node, "/api/v1/tasks", body);
    if (response.statusCode() != 202) {
      throw new AssertionError("submit answered " + response.statusCode() + ": " + response.body());
    }
    return JSON.readTree(response.body()).get("id").asText();
  }

  /** Sends a request built by the test (custom headers, methods, bodies). */
  public HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** How many events the journal holds for persistence ids starting with {@code prefix}. */
  public int eventsInJournal(String prefix) throws SQLException {
    return count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE ?", prefix + "%");
  }

  /** How many rows the journal's tag table holds: the read side prunes those it has projected. */
  public int tagRows() throws SQLException {
    return count("SELECT COUNT(*) FROM \"event_tag\"");
  }

  /** pekko-management's view of the membership from {@code node}, or null if it did not answer. */
  public JsonNode members(Node node) {
    return jsonIfOk(URI.create("http://127.0.0.1:" + node.managementPort + "/cluster/members"), Duration.ofSeconds(5));
  }

  /** Whether the node's management endpoint answers at all (it starts once the API is bound). */
  public boolean isAlive(Node node) {
    return status(URI.create("http://127.0.0.1:" + node.managementPort + "/alive")) == 200;
  }

  public boolean isReady(Node node) {
    return status(URI.create("http://127.0.0.1:" + node.managementPort + "/ready")) == 200;
  }

  public HttpResponse<String> get(Node node, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(node.api(path)).timeout(Duration.ofSeconds(20)).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> delete(Node node, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(node.api(path)).timeout(Duration.ofSeconds(20)).DELETE().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> post(Node node, String path, String body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(node.api(path))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** How many tasks the journal holds: proof that a rejected request persisted nothing. */
  public int tasksInJournal() throws SQLException {
    return count("SELECT COUNT(DISTINCT \"persistence_id\") FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'Task|%'");
  }

  /** The task view, or null if the node did not answer 200 (e.g. while its shard moves). */
  public JsonNode task(Node node, String id) {
    return jsonIfOk(node.api("/api/v1/tasks/" + id), Duration.ofSeconds(20));
  }

  /** The JSON body of a GET answered 200, or null for any other answer or none. */
  private JsonNode jsonIfOk(URI uri, Duration timeout) {
    try {
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private int status(URI uri) {
    try {
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- the journal, read directly

  public String dbUrl() {
    return database.url();
  }

  /**
   * How many tasks have a journaled event whose class name ends with {@code eventName}. Reading
   * the journal (not the API) observes tasks without waking their entities.
   */
  public int tasksWithEvent(String eventName) throws SQLException {
    return count("SELECT COUNT(DISTINCT \"persistence_id\") FROM \"event_journal\""
        + " WHERE \"persistence_id\" LIKE 'Task|%' AND \"event_ser_manifest\" LIKE ?", "%$" + eventName);
  }

  /** A COUNT query against the cluster's database, read directly (never through a node). */
  private int count(String sql, String... parameters) throws SQLException {
    try (Connection connection = database.connect();
        var statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) statement.setString(i + 1, parameters[i]);
      try (var rows = statement.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }

  // ---------------------------------------------------------------- waiting

  /**
   * Polls {@code condition} (a few times a second: each poll asks a node over HTTP) until true;
   * fails naming {@code what} after {@code timeout}.
   */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    await(what, timeout, POLL_EVERY, condition);
  }

  /** As {@link #await(String, Duration, BooleanSupplier)}, polling every {@code pollEvery}. */
  static void await(String what, Duration timeout, Duration pollEvery, BooleanSupplier condition) {
    waitFor(what).atMost(timeout).pollInterval(pollEvery).until(condition::getAsBoolean);
  }
}
