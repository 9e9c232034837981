package io.steadfast.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.handlers.TaskContext;
import io.steadfast.handlers.TaskHandler;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** A handler's log lines name their task: the MDC is set on its thread while it runs, and only then. */
class AttemptRunnerMdcTest {
  private final ExecutorService executor = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  /** Records the MDC it sees, then succeeds or throws as asked. */
  private static final class RecordingHandler implements TaskHandler {
    final Map<String, String> seen = new HashMap<>();
    private final boolean fail;

    RecordingHandler(boolean fail) {
      this.fail = fail;
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public JsonNode execute(TaskContext context) {
      for (String key : new String[] {"taskId", "taskType", "attempt"}) seen.put(key, MDC.get(key));
      if (fail) throw new IllegalStateException("boom");
      return null;
    }
  }

  @Test
  void theHandlerSeesItsTaskInTheMdc() throws Exception {
    RecordingHandler handler = new RecordingHandler(false);
    AttemptResult result = run(handler, "task-7", 3);

    assertInstanceOf(AttemptResult.Succeeded.class, result);
    assertEquals(Map.of("taskId", "task-7", "taskType", "email", "attempt", "3"), handler.seen);
    assertMdcClearedOnTheThread();
  }

  @Test
  void theMdcIsClearedAfterAThrowingHandlerToo() throws Exception {
    RecordingHandler handler = new RecordingHandler(true);
    AttemptResult result = run(handler, "task-8", 1);

    assertInstanceOf(AttemptResult.Failed.class, result);
    assertEquals("task-8", handler.seen.get("taskId"));
    assertMdcClearedOnTheThread();
  }

  private AttemptResult run(TaskHandler handler, String taskId, int attempt) throws Exception {
    TaskContext context =
        new TaskContext(taskId, "email", null, attempt, Instant.now().plusSeconds(10), null, () -> false, state -> {});
    return AttemptRunner.run(handler, ErrorClassifier.DEFAULT, context, executor)
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  /** The next attempt on the same pool thread belongs to another task: nothing may be left. */
  private void assertMdcClearedOnTheThread() throws Exception {
    Map<String, String> left = executor.submit(() -> MDC.getCopyOfContextMap()).get(5, TimeUnit.SECONDS);
    assertTrue(left == null || left.isEmpty(), "MDC left on the handler thread: " + left);
  }
}
