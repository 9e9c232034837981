package io.steadfast.task;

import io.steadfast.execution.AttemptResult;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.storage.JournalFailures;
import io.steadfast.task.TaskEntity.Accepted;
import io.steadfast.task.TaskEntity.AlreadySubmitted;
import io.steadfast.task.TaskEntity.AttemptEnded;
import io.steadfast.task.TaskEntity.AttemptLost;
import io.steadfast.task.TaskEntity.AttemptStarted;
import io.steadfast.task.TaskEntity.AttemptTimedOut;
import io.steadfast.task.TaskEntity.Cancel;
import io.steadfast.task.TaskEntity.CancelAccepted;
import io.steadfast.task.TaskEntity.CancelNotFound;
import io.steadfast.task.TaskEntity.CancelRefused;
import io.steadfast.task.TaskEntity.CancellationRequested;
import io.steadfast.task.TaskEntity.Cancelled;
import io.steadfast.task.TaskEntity.CheckpointRecorded;
import io.steadfast.task.TaskEntity.Command;
import io.steadfast.task.TaskEntity.DeadLetterFiled;
import io.steadfast.task.TaskEntity.Deferred;
import io.steadfast.task.TaskEntity.Event;
import io.steadfast.task.TaskEntity.FilingEnded;
import io.steadfast.task.TaskEntity.FilingRetry;
import io.steadfast.task.TaskEntity.FirstCommandOverdue;
import io.steadfast.task.TaskEntity.Found;
import io.steadfast.task.TaskEntity.Get;
import io.steadfast.task.TaskEntity.HandOff;
import io.steadfast.task.TaskEntity.IdempotencyConflict;
import io.steadfast.task.TaskEntity.Idle;
import io.steadfast.task.TaskEntity.NotFound;
import io.steadfast.task.TaskEntity.PermitReply;
import io.steadfast.task.TaskEntity.RateLimited;
import io.steadfast.task.TaskEntity.RatePermitReply;
import io.steadfast.task.TaskEntity.RecordCheckpoint;
import io.steadfast.task.TaskEntity.Redrive;
import io.steadfast.task.TaskEntity.RedriveAccepted;
import io.steadfast.task.TaskEntity.RedriveNotFound;
import io.steadfast.task.TaskEntity.RedriveRefused;
import io.steadfast.task.TaskEntity.Redriven;
import io.steadfast.task.TaskEntity.State;
import io.steadfast.task.TaskEntity.Submit;
import io.steadfast.task.TaskEntity.SubmitReply;
import io.steadfast.task.TaskEntity.Submitted;
import io.steadfast.task.TaskEntity.TrialAnswered;
import io.steadfast.task.TaskEntity.Wake;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The task entity as an actor (see {@link TaskEntity} for what it is and speaks): turns commands
 * into events, replies and effects. The rules it persists by are {@link TaskLifecycle}'s; what a
 * due attempt waits for on this node is {@link AttemptGate}'s; running it is {@link
 * AttemptLauncher}'s.
 *
 * <p>An incarnation started on an id this node has just minted trusts its empty state for one
 * thing only, the Submit it was started for: see {@link MintedMode} for the rules.
 */
final class TaskEntityBehavior extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, State> {
  private static final String WAKE_TIMER = "wake";
  private static final String IDLE_TIMER = "idle";
  private static final String FILING_TIMER = "filing";
  private static final Duration FILING_RETRY = Duration.ofSeconds(2);

  private final String taskId;
  /** Started on an id minted here: recovery read nothing. */
  private final MintedMode minted;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final TaskRuntime runtime;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final AttemptGate gate;
  private final AttemptLauncher launcher;
  /** Told to stop (its shard moves): ends when the running attempt has ended. */
  private boolean handingOff;

  TaskEntityBehavior(
      String taskId,
      boolean minted,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      TaskRuntime runtime,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(TaskEntity.persistenceId(taskId), JournalFailures.restartWithBackoff());
    this.taskId = taskId;
    this.minted = new MintedMode(minted, timers);
    this.context = context;
    this.timers = timers;
    this.runtime = runtime;
    this.shard = shard;
    this.gate = new AttemptGate(runtime, context);
    this.launcher = new AttemptLauncher(taskId, runtime, context, timers);
  }

  @Override
  public State emptyState() {
    return State.empty(taskId);
  }

  /** Read once per incarnation, so restarts after a journal failure keep it (see the class comment). */
  @Override
  public Recovery recovery() {
    return minted.recovery(super.recovery());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(runtime.snapshotEvery(), 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(TaskEntity.tag(Math.floorMod(taskId.hashCode(), TaskEntity.TAG_SLICES)));
  }

  /** A checkpoint is a promise that work need not be redone: make it cheap to recover. */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    return event instanceof CheckpointRecorded;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(TaskLifecycle::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecovered).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    if (minted.on()) {
      builder
          .forState(state -> !state.isSubmitted())
          .onCommand(Submit.class, (state, submit) -> nothingWritten() ? submit(state, submit) : stopUnread())
          .onAnyCommand(command -> stopUnread());
    }
    builder
        .forState(state -> !state.isSubmitted())
        .onCommand(Submit.class, this::submit)
        .onCommand(Get.class, (state, get) -> leaveAfterReply(get.replyTo(), new NotFound(taskId)))
        .onCommand(Cancel.class, (state, cancel) -> leaveAfterReply(cancel.replyTo(), new CancelNotFound(taskId)))
        .onCommand(Redrive.class, (state, redrive) -> leaveAfterReply(redrive.replyTo(), new RedriveNotFound(taskId)))
        .onAnyCommand(command -> Effect().stop().thenNoReply());
    builder
        .forAnyState()
        .onCommand(Submit.class, this::resubmit)
        .onCommand(Get.class, this::get)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(Redrive.class, this::redrive)
        .onCommand(FilingEnded.class, this::filingEnded)
        .onCommand(FilingRetry.class, (state, retry) -> {
          if (state.isDeadLetterUnfiled()) fileDeadLetter(state);
          return Effect().noReply();
        })
        .onCommand(Wake.class, (state, wake) -> wake(state))
        .onCommand(TrialAnswered.class, (state, answer) -> follow(gate.trialAnswered(state, answer)))
        .onCommand(PermitReply.class, (state, reply) -> follow(gate.permitAnswered(state, reply.reply())))
        .onCommand(RatePermitReply.class, (state, reply) -> follow(gate.ratePermitAnswered(state, reply)))
        .onCommand(AttemptEnded.class, this::attemptEnded)
        .onCommand(AttemptTimedOut.class, this::attemptTimedOut)
        .onCommand(AttemptLost.class, this::attemptLost)
        .onCommand(RecordCheckpoint.class, this::recordCheckpoint)
        .onCommand(Idle.class, (state, idle) -> idle(state))
        .onCommand(FirstCommandOverdue.class, (state, overdue) -> Effect().noReply()) // submitted meanwhile
        .onCommand(HandOff.class, (state, handOff) -> handOff(state));
    return builder.build();
  }

  // ---------------------------------------------------------------- asked from outside

  private ReplyEffect<Event, State> submit(State state, Submit submit) {
    Submitted submitted = new Submitted(submit.spec(), now());
    if (gate.tryFastStart(submitted)) return submitAndStart(submitted, submit.replyTo());
    return Effect()
        .persist(submitted)
        .thenRun(accepted -> {
          runtime.metrics().submitted(accepted.spec().type());
          scheduleWake(accepted);
        })
        .thenReply(submit.replyTo(), accepted -> new Accepted(accepted.toView()));
  }

  /**
   * The fast path: one journal write for both events instead of two, and no Wake or permit round
   * trip. The reply shows the task as accepted, already RUNNING its first attempt.
   */
  private ReplyEffect<Event, State> submitAndStart(Submitted submitted, ActorRef<SubmitReply> replyTo) {
    AttemptStarted first = new AttemptStarted(TaskEntity.FIRST_ATTEMPT, runtime.nodeName(), submitted.at());
    return Effect()
        .persist(List.of(submitted, first))
        .thenRun(started -> {
          gate.fastStartWritten();
          runtime.metrics().submitted(started.spec().type());
          begin(started);
        })
        .thenReply(replyTo, started -> new Accepted(started.toView()));
  }

  /**
   * In minted mode: the journal holds no event of this task (it answered 0 without a query, or,
   * after a failed write, for real).
   */
  private boolean nothingWritten() {
    return lastSequenceNumber(context) == 0;
  }

  /**
   * In minted mode, where the empty state may be wrong: stop without a reply and without asking
   * to passivate; if the task exists, the waker starts it again and it recovers in full.
   */
  private ReplyEffect<Event, State> stopUnread() {
    return Effect().stop().thenNoReply();
  }

  /** Nothing here: answer, then leave at once so that reads of unknown ids do not stay in memory. */
  private <R> ReplyEffect<Event, State> leaveAfterReply(ActorRef<R> replyTo, R reply) {
    return Effect().none().thenRun(state -> passivate()).thenReply(replyTo, state -> reply);
  }

  private ReplyEffect<Event, State> resubmit(State state, Submit submit) {
    SubmitReply reply =
        state.spec().sameRequestAs(submit.spec())
            ? new AlreadySubmitted(state.toView())
            : new IdempotencyConflict(state.toView());
    return Effect().reply(submit.replyTo(), reply);
  }

  private ReplyEffect<Event, State> get(State state, Get get) {
    if (state.status().isTerminal()) scheduleIdlePassivation();
    return Effect().reply(get.replyTo(), new Found(state.toView()));
  }

  private ReplyEffect<Event, State> cancel(State state, Cancel cancel) {
    if (state.status().isTerminal()) return Effect().reply(cancel.replyTo(), new CancelRefused(state.toView()));
    if (state.status() == TaskStatus.RUNNING) {
      launcher.stopRunning();
      if (state.cancelRequested()) return Effect().reply(cancel.replyTo(), new CancelAccepted(state.toView()));
      return Effect()
          .persist(new CancellationRequested(now()))
          .thenReply(cancel.replyTo(), requested -> new CancelAccepted(requested.toView()));
    }
    timers.cancel(WAKE_TIMER);
    return Effect()
        .persist(new Cancelled(now()))
        .thenRun(cancelled -> {
          scheduleIdlePassivation();
          reportStep(cancelled);
        })
        .thenReply(cancel.replyTo(), cancelled -> new CancelAccepted(cancelled.toView()));
  }

  private ReplyEffect<Event, State> redrive(State state, Redrive redrive) {
    if (!state.isRedrivable()) {
      return Effect().reply(redrive.replyTo(), new RedriveRefused(state.toView()));
    }
    timers.cancel(IDLE_TIMER);
    return Effect()
        .persist(new Redriven(redrive.retryPolicy(), now()))
        .thenRun(redriven -> {
          scheduleWake(redriven);
          reportStep(redriven);
        })
        .thenReply(redrive.replyTo(), redriven -> new RedriveAccepted(redriven.toView()));
  }

  // ---------------------------------------------------------------- the dead-letter queue

  /**
   * At-least-once: until the queue acknowledges, the task stays in memory and open in the wake-up
   * index (DeadLettered does not close it; DeadLetterFiled does), and tries again.
   */
  private void fileDeadLetter(State state) {
    context.pipeToSelf(
        runtime.deadLetters().file(state.toDeadLetterEntry()), (done, failure) -> new FilingEnded(failure == null));
  }

  private ReplyEffect<Event, State> filingEnded(State state, FilingEnded ended) {
    if (!state.isDeadLetterUnfiled()) return Effect().noReply(); // redriven meanwhile
    if (!ended.filed()) {
      timers.startSingleTimer(FILING_TIMER, new FilingRetry(), FILING_RETRY);
      return Effect().noReply();
    }
    return Effect().persist(new DeadLetterFiled(now())).thenRun(filed -> scheduleIdlePassivation()).thenNoReply();
  }

  // ---------------------------------------------------------------- an attempt's life

  private ReplyEffect<Event, State> wake(State state) {
    if (!state.isWaiting()) return Effect().noReply();
    if (!state.isDue(state.attempts() + 1, now())) {
      scheduleWake(state); // early (a timer from an older schedule): wait for the right time
      return Effect().noReply();
    }
    return follow(gate.due(state));
  }

  /** Does what the gate decided for a due attempt. */
  private ReplyEffect<Event, State> follow(AttemptGate.Verdict verdict) {
    if (verdict instanceof AttemptGate.Start start) {
      return Effect()
          .persist(new AttemptStarted(start.attempt(), runtime.nodeName(), now()))
          .thenRun(this::begin)
          .thenNoReply();
    }
    if (verdict instanceof AttemptGate.Defer defer) {
      // Waits for the breaker without spending an attempt.
      return Effect()
          .persist(new Deferred(defer.until(), defer.reason(), now()))
          .thenRun(this::scheduleWake)
          .thenNoReply();
    }
    if (verdict instanceof AttemptGate.Throttle throttle) {
      // Waits for a permit without spending an attempt; the permit wakes it.
      return Effect().persist(new RateLimited(throttle.reason(), now())).thenNoReply();
    }
    if (verdict instanceof AttemptGate.AskAgainAfter again) {
      timers.startSingleTimer(WAKE_TIMER, Wake.INSTANCE, again.delay());
    }
    return Effect().noReply();
  }

  /** {@link AttemptStarted} is persisted: counts a first start and runs the handler. */
  private void begin(State started) {
    TaskCounts.firstStart(runtime.metrics(), started);
    launcher.launch(started);
  }

  private ReplyEffect<Event, State> attemptEnded(State state, AttemptEnded ended) {
    String type = state.spec().type();
    gate.release(type, ended.attempt()); // the handler has returned: its thread is free again
    if (handingOff) return handedOff(state, ended.attempt(), ended.result());
    if (!state.isRunning(ended.attempt())) return Effect().noReply(); // timed out or lost before
    launcher.ended();
    gate.report(type, ended.attempt(), ended.result());
    return endAttempt(TaskLifecycle.afterResult(state, ended.result(), now(), runtime.random()));
  }

  /**
   * The shard moves: a task whose attempt runs here tells the handler to stop and stays until it
   * has returned; anything else stops at once (a backoff or deferral resumes from the journal).
   */
  private ReplyEffect<Event, State> handOff(State state) {
    if (handingOff) return Effect().noReply();
    if (!state.isRunning(launcher.launchedAttempt())) return Effect().stop().thenNoReply();
    handingOff = true;
    launcher.stopRunning();
    return Effect().noReply();
  }

  /** The attempt stopped for a hand-off: its end is recorded, then the entity stops. */
  private ReplyEffect<Event, State> handedOff(State state, int attempt, AttemptResult result) {
    if (!state.isRunning(attempt)) return Effect().stop().thenNoReply();
    launcher.ended();
    Event end = TaskLifecycle.afterHandOff(state, result, runtime.nodeName(), now());
    return Effect()
        .persist(end)
        .thenRun(ended -> {
          TaskCounts.attemptEnded(runtime.metrics(), ended);
          if (ended.status().isTerminal()) reportStep(ended);
        })
        .thenStop()
        .thenNoReply();
  }

  private ReplyEffect<Event, State> attemptTimedOut(State state, AttemptTimedOut timedOut) {
    if (!state.isRunning(timedOut.attempt())) return Effect().noReply();
    // Told to stop and still running at its deadline: the shard must not wait any longer.
    if (handingOff) return handedOff(state, timedOut.attempt(), null);
    launcher.stopRunning();
    // The permit stays held until the handler returns: its thread is still busy until then.
    gate.reportTimeout(state.spec().type(), timedOut.attempt());
    return endAttempt(TaskLifecycle.afterTimeout(state, now(), runtime.random()));
  }

  private ReplyEffect<Event, State> attemptLost(State state, AttemptLost lost) {
    if (!state.isRunning(lost.attempt())) return Effect().noReply();
    return endAttempt(TaskLifecycle.afterNodeLost(state, now()));
  }

  /**
   * Persists how the running attempt ended; then counts it, and the task waits for its next
   * attempt, files its dead letter, or (succeeded or cancelled) may leave memory in a while.
   */
  private ReplyEffect<Event, State> endAttempt(List<Event> events) {
    return Effect()
        .persist(events)
        .thenRun(ended -> {
          TaskCounts.attemptEnded(runtime.metrics(), ended);
          switch (ended.status()) {
            case RETRY_WAIT -> scheduleWake(ended);
            case DEAD_LETTERED -> {
              runtime.metrics().deadLettered(ended.spec().type());
              fileDeadLetter(ended);
            }
            default -> scheduleIdlePassivation();
          }
          if (ended.status().isTerminal()) reportStep(ended);
        })
        .thenNoReply();
  }

  /**
   * A step's end (or redrive) is told to its workflow at once; the workflow also asks its steps
   * itself, so a word lost with a node costs time, never the step.
   */
  private void reportStep(State state) {
    if (state.spec().step() != null) runtime.steps().report(state.spec().step(), state.toView());
  }

  private ReplyEffect<Event, State> recordCheckpoint(State state, RecordCheckpoint checkpoint) {
    if (!state.isRunning(checkpoint.attempt())) {
      return Effect()
          .reply(checkpoint.replyTo(), StatusReply.error("attempt " + checkpoint.attempt() + " is no longer running"));
    }
    return Effect()
        .persist(new CheckpointRecorded(checkpoint.attempt(), checkpoint.state(), now()))
        .thenReply(checkpoint.replyTo(), recorded -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> idle(State state) {
    if (state.status().isTerminal() && !state.isDeadLetterUnfiled()) passivate();
    return Effect().noReply();
  }

  // ---------------------------------------------------------------- effects outside the journal

  private void onRecovered(State state) {
    gate.recovered();
    minted.recovered(state, this::nothingWritten);
    if (!state.isSubmitted()) return;
    switch (state.status()) {
      case RUNNING -> context.getSelf().tell(new AttemptLost(state.lastAttempt().number()));
      case PENDING, RETRY_WAIT, DEFERRED, RATE_LIMITED -> scheduleWake(state);
      case DEAD_LETTERED -> {
        if (state.isDeadLetterUnfiled()) fileDeadLetter(state);
        else scheduleIdlePassivation();
      }
      case SUCCEEDED, CANCELLED -> scheduleIdlePassivation();
    }
  }

  private void scheduleWake(State state) {
    Instant due = state.nextAttemptAt();
    Duration delay = due == null ? Duration.ZERO : Duration.between(now(), due);
    timers.startSingleTimer(WAKE_TIMER, Wake.INSTANCE, delay.isNegative() ? Duration.ZERO : delay);
  }

  private void scheduleIdlePassivation() {
    timers.startSingleTimer(IDLE_TIMER, Idle.INSTANCE, runtime.passivateTerminalAfter());
  }

  private void passivate() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
  }

  private Instant now() {
    return runtime.clock().instant();
  }
}
