package io.steadfast.execution;

import io.steadfast.handlers.PermanentTaskException;
import io.steadfast.handlers.RetryableTaskException;
import io.steadfast.handlers.TaskContext;
import io.steadfast.handlers.TaskHandler;
import io.steadfast.protocol.TaskError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Runs handlers off the actor threads and turns whatever they do — return, throw, or throw
 * something unexpected — into an {@link AttemptResult}. Nothing a handler does reaches the
 * entity as an exception.
 */
public final class AttemptRunner {
  private final Executor executor;

  public AttemptRunner(Executor executor) {
    this.executor = executor;
  }

  public CompletionStage<AttemptResult> run(TaskHandler handler, TaskContext context) {
    return CompletableFuture.supplyAsync(() -> runNow(handler, context), executor);
  }

  static AttemptResult runNow(TaskHandler handler, TaskContext context) {
    try {
      return new AttemptResult.Succeeded(handler.execute(context));
    } catch (RetryableTaskException e) {
      return new AttemptResult.Failed(new TaskError(e.errorType(), e.getMessage(), true));
    } catch (PermanentTaskException e) {
      return new AttemptResult.Failed(new TaskError(e.errorType(), e.getMessage(), false));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new AttemptResult.Failed(new TaskError("INTERRUPTED", "the attempt was interrupted", true));
    } catch (Exception | LinkageError | AssertionError e) {
      // Unclassified errors are retryable: a bug fixed by a redeploy deserves another attempt.
      return new AttemptResult.Failed(
          new TaskError(e.getClass().getSimpleName(), String.valueOf(e.getMessage()), true));
    }
  }
}
