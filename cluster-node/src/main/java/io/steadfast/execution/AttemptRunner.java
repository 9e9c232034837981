package io.steadfast.execution;

import io.steadfast.handlers.PermanentTaskException;
import io.steadfast.handlers.RateLimitedException;
import io.steadfast.handlers.RetryableTaskException;
import io.steadfast.handlers.TaskContext;
import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.TaskError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.MDC;

/**
 * Runs a handler on its type's executor and turns whatever it does — return, throw, or throw
 * something unexpected — into an {@link AttemptResult}. Nothing a handler does reaches the
 * entity as an exception.
 */
public final class AttemptRunner {
  /** MDC keys set on the handler's thread while it runs, so its log lines say which task they are about. */
  public static final String MDC_TASK_ID = "taskId";
  public static final String MDC_TASK_TYPE = "taskType";
  public static final String MDC_ATTEMPT = "attempt";

  private AttemptRunner() {}

  public static CompletionStage<AttemptResult> run(
      TaskHandler handler, ErrorClassifier classifier, TaskContext context, Executor executor) {
    try {
      return CompletableFuture.supplyAsync(() -> runNow(handler, classifier, context), executor);
    } catch (RejectedExecutionException e) {
      // Only when the node is shutting down its executors.
      return CompletableFuture.completedFuture(
          new AttemptResult.Failed(new TaskError("NODE_STOPPING", "the node is shutting down", true)));
    }
  }

  static AttemptResult runNow(TaskHandler handler, ErrorClassifier classifier, TaskContext context) {
    MDC.put(MDC_TASK_ID, context.taskId());
    MDC.put(MDC_TASK_TYPE, context.type());
    MDC.put(MDC_ATTEMPT, String.valueOf(context.attempt()));
    try {
      return new AttemptResult.Succeeded(handler.execute(context));
    } catch (RetryableTaskException e) {
      return new AttemptResult.Failed(
          new TaskError(e.errorType(), e.getMessage(), true), e.retryAfter().orElse(null));
    } catch (PermanentTaskException e) {
      return new AttemptResult.Failed(new TaskError(e.errorType(), e.getMessage(), false));
    } catch (RateLimitedException e) {
      return new AttemptResult.RateLimited(e.getMessage(), e.retryAfter());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new AttemptResult.Failed(new TaskError("INTERRUPTED", "the attempt was interrupted", true));
    } catch (Exception | LinkageError | AssertionError e) {
      return new AttemptResult.Failed(
          new TaskError(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), classifier.isRetryable(e)));
    } finally {
      // The thread goes back to the type's pool: the next attempt on it is another task's.
      MDC.remove(MDC_TASK_ID);
      MDC.remove(MDC_TASK_TYPE);
      MDC.remove(MDC_ATTEMPT);
    }
  }
}
