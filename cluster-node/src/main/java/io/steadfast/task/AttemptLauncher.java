package io.steadfast.task;

import io.steadfast.execution.AttemptResult;
import io.steadfast.execution.AttemptRunner;
import io.steadfast.handlers.TaskContext;
import io.steadfast.protocol.TaskError;
import io.steadfast.task.TaskEntity.AttemptEnded;
import io.steadfast.task.TaskEntity.AttemptTimedOut;
import io.steadfast.task.TaskEntity.Command;
import io.steadfast.task.TaskEntity.RecordCheckpoint;
import io.steadfast.task.TaskEntity.State;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Runs a started attempt: its handler on the type's bulkhead threads, with a checkpointer that
 * persists through the entity, and a timer for its timeout. The handler's end comes back as
 * {@link AttemptEnded}, the timeout as {@link AttemptTimedOut}. Lives as long as one incarnation
 * of the entity, like the handler it launched.
 */
final class AttemptLauncher {
  private static final String TIMEOUT_TIMER = "attempt-timeout";
  /** How long a handler's checkpoint waits for the journal. */
  private static final Duration CHECKPOINT_TIMEOUT = Duration.ofSeconds(10);

  private final String taskId;
  private final TaskRuntime runtime;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  /** Tells the running attempt's handler to stop. */
  private AtomicBoolean runningAttemptCancelled = new AtomicBoolean();
  /** The attempt whose handler this incarnation launched, or 0. */
  private int launchedAttempt;

  AttemptLauncher(String taskId, TaskRuntime runtime, ActorContext<Command> context, TimerScheduler<Command> timers) {
    this.taskId = taskId;
    this.runtime = runtime;
    this.context = context;
    this.timers = timers;
  }

  /** Runs the attempt whose start {@code state} has just recorded, and arms its timeout. */
  void launch(State state) {
    int attempt = state.lastAttempt().number();
    AtomicBoolean cancelled = new AtomicBoolean(state.cancelRequested());
    runningAttemptCancelled = cancelled;
    launchedAttempt = attempt;
    long timeoutMs = state.spec().attemptTimeoutMs();
    TaskContext taskContext =
        new TaskContext(
            taskId,
            state.spec().type(),
            state.spec().payload(),
            attempt,
            state.lastAttempt().startedAt().plusMillis(timeoutMs),
            state.checkpoint(),
            state.spec().step() == null ? java.util.Map.of() : state.spec().step().dependencyResults(),
            cancelled::get,
            checkpointer(attempt));
    CompletionStage<AttemptResult> outcome =
        runtime
            .types()
            .find(state.spec().type())
            .map(
                type ->
                    AttemptRunner.run(
                        type.handler(), type.classifier(), taskContext, runtime.bulkheads().executor(type.name())))
            .orElseGet(() -> unknownType(state.spec().type()));
    context.pipeToSelf(
        outcome,
        (result, failure) ->
            new AttemptEnded(
                attempt,
                result != null
                    ? result
                    : new AttemptResult.Failed(
                        new TaskError(failure.getClass().getSimpleName(), String.valueOf(failure.getMessage()), true))));
    timers.startSingleTimer(TIMEOUT_TIMER, new AttemptTimedOut(attempt), Duration.ofMillis(timeoutMs));
  }

  /** The attempt launched by this incarnation, or 0. */
  int launchedAttempt() {
    return launchedAttempt;
  }

  /** Tells the running handler to stop (it sees its context cancelled); its end still comes back. */
  void stopRunning() {
    runningAttemptCancelled.set(true);
  }

  /** The attempt's end is being recorded: its timeout no longer applies. */
  void ended() {
    timers.cancel(TIMEOUT_TIMER);
  }

  /** Called on the handler's thread: asks the entity to persist, and waits for the journal. */
  private TaskContext.Checkpointer checkpointer(int attempt) {
    ActorRef<Command> self = context.getSelf();
    Scheduler scheduler = context.getSystem().scheduler();
    return state ->
        AskPattern.<Command, Done>askWithStatus(
                self, replyTo -> new RecordCheckpoint(attempt, state, replyTo), CHECKPOINT_TIMEOUT, scheduler)
            .toCompletableFuture()
            .get();
  }

  private static CompletionStage<AttemptResult> unknownType(String type) {
    return CompletableFuture.completedFuture(
        new AttemptResult.Failed(
            new TaskError("UNKNOWN_TASK_TYPE", "this node has no task type '" + type + "' configured", false)));
  }
}
