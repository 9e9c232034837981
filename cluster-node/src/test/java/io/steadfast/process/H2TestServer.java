package io.steadfast.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** H2's TCP server from the node's own lib directory, run as a JVM of its own. */
final class H2TestServer implements TestDatabase {
  private final Path baseDir;
  private final int port;
  private final String javaBin;
  private final Function<List<String>, Process> spawn;
  private Process server;

  /** {@code spawn} starts a process logged as "h2" and killed with the cluster. */
  H2TestServer(Path baseDir, int port, String javaBin, Function<List<String>, Process> spawn) {
    this.baseDir = baseDir;
    this.port = port;
    this.javaBin = javaBin;
    this.spawn = spawn;
  }

  @Override
  public void start() throws IOException {
    String h2Jar;
    try (var files = Files.list(Path.of(System.getProperty("steadfast.node.lib")))) {
      h2Jar = files.filter(p -> p.getFileName().toString().matches("h2-.*\\.jar")).findFirst().orElseThrow().toString();
    }
    server = spawn.apply(List.of(
        javaBin, "-Xmx256m", "-Dh2.bindAddress=127.0.0.1", "-cp", h2Jar, "org.h2.tools.Server", "-tcp", "-tcpPort",
        String.valueOf(port), "-baseDir", baseDir.toString(), "-ifNotExists"));
    LocalCluster.await("H2 server on port " + port, Duration.ofSeconds(30), this::canQuery);
  }

  @Override
  public void kill() throws InterruptedException {
    server.destroyForcibly();
    server.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void pause() throws Exception {
    TestDatabase.signal(server.toHandle(), "STOP");
  }

  @Override
  public void resume() throws Exception {
    TestDatabase.signal(server.toHandle(), "CONT");
  }

  @Override
  public List<String> nodeProperties() {
    return List.of("-Dsteadfast.db.url=" + url());
  }

  @Override
  public String url() {
    return "jdbc:h2:tcp://127.0.0.1:" + port + "/steadfast;DATABASE_TO_UPPER=false;WRITE_DELAY=0";
  }

  @Override
  public String user() {
    return "sa";
  }

  @Override
  public String password() {
    return "";
  }

  /** The cluster kills every process it spawned, this server's included. */
  @Override
  public void close() {}
}
