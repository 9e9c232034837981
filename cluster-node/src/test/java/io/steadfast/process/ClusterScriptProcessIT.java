package io.steadfast.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * scripts/cluster.sh as a user runs it: nodes kept running by their supervisors, so a node
 * killed with {@code kill I} comes back by itself, and {@code stop} leaves nothing running.
 */
class ClusterScriptProcessIT {
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(300);
  private static final Duration BACK_TIMEOUT = Duration.ofSeconds(180);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aKilledNodeIsStartedAgainByItsSupervisorAndStopEndsEverything() throws Exception {
    Path checkout = Path.of("").toAbsolutePath().getParent(); // failsafe runs in cluster-node/
    Path script = checkout.resolve("scripts/cluster.sh");
    Path runDir = Path.of("target", "process-it", "cluster-script-" + System.currentTimeMillis()).toAbsolutePath();
    int offset = freePortOffset();
    List<Long> seen = new ArrayList<>();
    try {
      Script.Result start = Script.run(script, runDir, offset, "start", "3");
      assertEquals(0, start.exitCode(), start.output());
      long killed = pid(runDir, "pids/node-2.pid").orElseThrow();
      seen.add(killed);

      Script.Result kill = Script.run(script, runDir, offset, "kill", "2");
      assertEquals(0, kill.exitCode(), kill.output());
      assertTrue(kill.output().contains("will be restarted"), kill.output());

      LocalCluster.await("node 2 started again by its supervisor and ready", BACK_TIMEOUT, () -> {
        Optional<Long> now = pid(runDir, "pids/node-2.pid");
        return now.isPresent() && now.get() != killed && isAlive(now.get()) && ready(8562 + offset);
      });
      seen.add(pid(runDir, "pids/node-2.pid").orElseThrow());
      assertNotEquals(killed, seen.get(1));
      String log = Files.readString(runDir.resolve("logs/node-2.log"), StandardCharsets.UTF_8);
      assertTrue(log.contains("=== cluster.sh: node 2 exited"), "the restart is in the node's log");
      Script.Result status = Script.run(script, runDir, offset, "status");
      assertTrue(status.output().contains("restarts 1"), status.output());
    } finally {
      seen.addAll(recordedPids(runDir));
      Script.Result stop = Script.run(script, runDir, offset, "stop");
      List<Long> left = seen.stream().filter(ClusterScriptProcessIT::isAlive).toList();
      for (long pid : left) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // ours: from our pid files
      assertEquals(0, stop.exitCode(), stop.output());
      assertEquals(List.of(), left, "processes left running after stop");
    }
  }

  /** Runs cluster.sh with a run dir and port offset of the test's own, bounded in time. */
  private static final class Script {
    record Result(int exitCode, String output) {}

    static Result run(Path script, Path runDir, int offset, String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of("bash", script.toString()));
      command.addAll(List.of(args));
      Path output = Files.createTempFile("cluster-sh", ".out");
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(output.toFile());
      builder.environment().put("STEADFAST_RUN_DIR", runDir.toString());
      builder.environment().put("STEADFAST_PORT_OFFSET", String.valueOf(offset));
      builder.environment().put("STEADFAST_READY_TIMEOUT", "240");
      builder.environment().remove("STEADFAST_KEEP_RUNNING");
      Process process = builder.start();
      if (!process.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String text = Files.readString(output);
      Files.deleteIfExists(output);
      return new Result(process.isAlive() ? -1 : process.exitValue(), text);
    }
  }

  private boolean ready(int managementPort) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/ready"))
              .timeout(Duration.ofSeconds(5)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Optional<Long> pid(Path runDir, String file) {
    try {
      return Optional.of(Long.parseLong(Files.readString(runDir.resolve(file)).trim()));
    } catch (IOException | NumberFormatException notThere) {
      return Optional.empty();
    }
  }

  /** Every pid the script recorded: nodes, the H2 server and the supervisors. */
  private static List<Long> recordedPids(Path runDir) throws IOException {
    List<Long> pids = new ArrayList<>();
    for (String dir : List.of("pids", "supervisors")) {
      Path path = runDir.resolve(dir);
      if (!Files.isDirectory(path)) continue;
      try (Stream<Path> files = Files.list(path)) {
        files.filter(f -> f.toString().endsWith(".pid"))
            .forEach(f -> pid(runDir, runDir.relativize(f).toString()).ifPresent(pids::add));
      }
    }
    return pids;
  }

  /** Alive and not a zombie: a process that exited and waits for its (adopted) parent to reap it is gone. */
  private static boolean isAlive(long pid) {
    if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return false;
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException gone) {
      return false;
    }
  }

  /**
   * An offset at which every port cluster.sh uses for 3 nodes is free now, all of them below
   * Linux's ephemeral range (32768 and up), where any outgoing connection could take one first.
   */
  private static int freePortOffset() {
    for (int tries = 0; tries < 50; tries++) {
      int offset = ThreadLocalRandom.current().nextInt(10_000, 23_000);
      List<Integer> ports = new ArrayList<>(List.of(9092 + offset));
      for (int i = 1; i <= 3; i++) ports.addAll(List.of(8080 + i + offset, 8560 + i + offset, 2550 + i + offset));
      if (ports.stream().allMatch(ClusterScriptProcessIT::isFree)) return offset;
    }
    throw new IllegalStateException("no free port offset found");
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
