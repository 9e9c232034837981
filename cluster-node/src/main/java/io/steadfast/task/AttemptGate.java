package io.steadfast.task;

import io.steadfast.breaker.BreakerState;
import io.steadfast.breaker.BreakerStatus;
import io.steadfast.execution.AttemptResult;
import io.steadfast.execution.Bulkhead;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.ratelimit.RatePermits;
import io.steadfast.task.TaskEntity.Command;
import io.steadfast.task.TaskEntity.PermitReply;
import io.steadfast.task.TaskEntity.RatePermitReply;
import io.steadfast.task.TaskEntity.State;
import io.steadfast.task.TaskEntity.Submitted;
import io.steadfast.task.TaskEntity.TrialAnswered;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Whether a task's due attempt may start on this node now. Its type's circuit breaker may hold it
 * back (a deferral, until when {@link BreakerStatus#deferUntil} says) or let it ask for a
 * half-open trial; then its type's rate limit, if it has one, gives it a permit from this node's
 * pool (or it waits, RATE_LIMITED, until one is there); then the type's bulkhead on this node
 * gives it a permit, or a new task takes a free slot at once (the fast start). The gate asks; the
 * answers come back to the entity as commands, which it hands here.
 *
 * <p>Not state: what was asked and granted lives as long as one incarnation of the entity. A
 * stopped holder's permits return by death watch, and a trial it never used the breaker gives up
 * in time. It also reports each attempt's result to the breaker, since only the gate knows which
 * attempt ran as a trial.
 */
final class AttemptGate {
  /** Tasks that come back together (after a deferral, or turned away by a full bulkhead) spread over this much. */
  static final Duration JITTER = Duration.ofMillis(500);
  /** How long a task turned away by a full bulkhead waits before it asks again (plus jitter). */
  static final Duration BULKHEAD_FULL_RETRY = Duration.ofSeconds(1);

  /** What the entity does next with a due attempt. */
  sealed interface Verdict {}

  /** Start it now: its permit is held (or its type is unknown here, and it fails at once). */
  record Start(int attempt) implements Verdict {}

  /** Persist a deferral: the breaker holds it back until {@code until}, without spending it. */
  record Defer(Instant until, String reason) implements Verdict {}

  /** Persist that it waits for its type's rate limit; a permit is asked for and will come. */
  record Throttle(String reason) implements Verdict {}

  /** Wake again after {@code delay}: the bulkhead is full, nothing is persisted. */
  record AskAgainAfter(Duration delay) implements Verdict {}

  /** Nothing yet: an answer is on its way, or the attempt is no longer due. */
  enum Await implements Verdict {
    INSTANCE
  }

  private final TaskRuntime runtime;
  private final ActorContext<Command> context;
  private final ActorRef<Bulkhead.Reply> permitReplies;
  private final ActorRef<RatePermits.Granted> ratePermitReplies;
  /** The attempt a rate-limit permit was asked for and not yet granted, or 0. */
  private int rateAskedFor;
  /** The attempt a permit was asked for and not yet answered, or 0. */
  private int permitAskedFor;
  /** The attempt a half-open trial was asked for and not yet answered, or 0. */
  private int trialAskedFor;
  /** The attempt that runs (or will run, once its permit comes) as a half-open trial, or 0. */
  private int trialAttempt;
  /**
   * The type whose permit a fast start took, while its events are being written; else null. A
   * failed write restarts the entity in place (the same actor: death watch frees nothing), and
   * recovery gives the permit back.
   */
  private String fastStartUnwritten;

  AttemptGate(TaskRuntime runtime, ActorContext<Command> context) {
    this.runtime = runtime;
    this.context = context;
    this.permitReplies = context.messageAdapter(Bulkhead.Reply.class, PermitReply::new);
    this.ratePermitReplies =
        context.messageAdapter(RatePermits.Granted.class, granted -> new RatePermitReply(granted.attempt()));
  }

  /**
   * A new task that is due now, with its type's breaker closed, has nothing to wait for but a
   * permit: takes one at once if this node's bulkhead has a slot free and nobody waiting. Until
   * {@link #fastStartWritten}, a failed write gives it back on recovery.
   */
  boolean tryFastStart(Submitted submitted) {
    TaskSpec spec = submitted.spec();
    boolean due = spec.runAt() == null || !submitted.at().isBefore(spec.runAt());
    if (!due || runtime.breakers().status(spec.type()).state() != BreakerState.CLOSED) return false;
    if (!runtime.ratePermits().tryTake(spec.type())) return false;
    if (!runtime.bulkheads().tryAcquireNow(spec.type(), context.getSelf(), TaskEntity.FIRST_ATTEMPT)) {
      runtime.ratePermits().giveBack(spec.type());
      return false;
    }
    fastStartUnwritten = spec.type();
    return true;
  }

  void fastStartWritten() {
    fastStartUnwritten = null;
  }

  /**
   * Recovering after a failed write of a fast start: its handler never ran, so its permit goes
   * back. A retried Submit starts over; events that were written after all end as NODE_LOST.
   */
  void recovered() {
    if (fastStartUnwritten == null) return;
    release(fastStartUnwritten, TaskEntity.FIRST_ATTEMPT);
    fastStartUnwritten = null;
  }

  /** The next attempt of {@code state} is due: asks the breaker's copy, then a trial or a permit. */
  Verdict due(State state) {
    int attempt = state.attempts() + 1;
    if (permitAskedFor == attempt || trialAskedFor == attempt || rateAskedFor == attempt) return Await.INSTANCE;
    Optional<TaskType> type = runtime.types().find(state.spec().type());
    if (type.isEmpty()) return new Start(attempt); // fails at once, as UNKNOWN_TASK_TYPE
    BreakerStatus breaker = runtime.breakers().status(type.get().name());
    Instant now = now();
    Instant lookAgain = breaker.deferUntil(now, type.get().breaker());
    if (lookAgain.isAfter(now)) return deferral(type.get().name(), breaker.state(), lookAgain);
    if (breaker.state() == BreakerState.CLOSED) return ratePermitThenSlot(state, type.get(), attempt);
    trialAskedFor = attempt;
    context.pipeToSelf(
        runtime.breakers().requestTrial(type.get().name()),
        (decision, failure) -> new TrialAnswered(attempt, failure == null ? decision : null));
    return Await.INSTANCE;
  }

  /**
   * The breaker answered: a granted trial asks for its permit; a refused one waits as long as the
   * breaker's answer says (this node's copy, when the breaker did not answer).
   */
  Verdict trialAnswered(State state, TrialAnswered answer) {
    if (trialAskedFor == answer.attempt()) trialAskedFor = 0;
    // An unused trial: the breaker gives up on it in time.
    if (!state.isDue(answer.attempt(), now())) return Await.INSTANCE;
    if (answer.decision() != null && answer.decision().granted()) {
      trialAttempt = answer.attempt();
      return runtime.types().find(state.spec().type())
          .map(type -> ratePermitThenSlot(state, type, answer.attempt()))
          .orElseGet(() -> askPermit(state, answer.attempt()));
    }
    String type = state.spec().type();
    BreakerStatus breaker = answer.decision() != null ? answer.decision().status() : runtime.breakers().status(type);
    Instant lookAgain = breaker.deferUntil(now(), runtime.types().breakerSettings(type));
    return deferral(type, breaker.state(), lookAgain);
  }

  /** The bulkhead answered: a granted permit starts the attempt if it is still due, else goes back. */
  Verdict permitAnswered(State state, Bulkhead.Reply reply) {
    if (reply instanceof Bulkhead.Rejected rejected) {
      if (permitAskedFor == rejected.attempt()) permitAskedFor = 0;
      return new AskAgainAfter(BULKHEAD_FULL_RETRY.plus(jitter()));
    }
    int attempt = ((Bulkhead.Granted) reply).attempt();
    if (permitAskedFor == attempt) permitAskedFor = 0;
    if (!state.isDue(attempt, now())) {
      release(state.spec().type(), attempt); // cancelled, or started already, meanwhile
      return Await.INSTANCE;
    }
    return new Start(attempt);
  }

  /** This node's pool granted a rate-limit permit: on to the bulkhead, or back if no longer due. */
  Verdict ratePermitAnswered(State state, RatePermitReply reply) {
    if (rateAskedFor == reply.attempt()) rateAskedFor = 0;
    if (!state.isDue(reply.attempt(), now())) {
      runtime.ratePermits().giveBack(state.spec().type()); // cancelled meanwhile
      return Await.INSTANCE;
    }
    return askPermit(state, reply.attempt());
  }

  /** The permit of {@code attempt} goes back: its handler has returned, or it never ran. */
  void release(String type, int attempt) {
    runtime
        .types()
        .find(type)
        .ifPresent(known ->
            runtime.bulkheads().admission(known.name()).tell(new Bulkhead.Release(context.getSelf(), attempt)));
  }

  /**
   * Only retryable failures (and timeouts, see {@link #reportTimeout}) count against a breaker. A
   * permanent error means the other side answered: it counts for nothing, except that a
   * half-open trial that meets one has shown the other side alive.
   */
  void report(String type, int attempt, AttemptResult result) {
    boolean trial = trialAttempt == attempt;
    if (result instanceof AttemptResult.Succeeded) {
      runtime.breakers().report(type, false, trial);
    } else if (result instanceof AttemptResult.Failed failed) {
      if (failed.error().retryable()) runtime.breakers().report(type, true, trial);
      else if (trial) runtime.breakers().report(type, false, true);
    }
  }

  void reportTimeout(String type, int attempt) {
    runtime.breakers().report(type, true, trialAttempt == attempt);
  }

  /**
   * A rate-limited type's attempt takes a permit held on this node, or waits for one (persisted
   * once as RATE_LIMITED, so that it shows); then it asks the bulkhead for a slot.
   */
  private Verdict ratePermitThenSlot(State state, TaskType type, int attempt) {
    if (runtime.ratePermits().tryTake(type.name())) return askPermit(state, attempt);
    rateAskedFor = attempt;
    runtime.ratePermits().await(type.name(), attempt, ratePermitReplies);
    if (state.status() == TaskStatus.RATE_LIMITED) return Await.INSTANCE;
    String limit = type.rateLimit() == null ? "" : " (" + type.rateLimit().describe() + ")";
    return new Throttle("the rate limit of '" + type.name() + "'" + limit + " is reached; it runs when a permit is free");
  }

  private Verdict askPermit(State state, int attempt) {
    permitAskedFor = attempt;
    runtime
        .bulkheads()
        .admission(state.spec().type())
        .tell(new Bulkhead.Acquire(context.getSelf(), attempt, state.spec().priority(), permitReplies));
    return Await.INSTANCE;
  }

  /** Until {@code lookAgain}, plus jitter, so that deferred tasks do not all come back at once. */
  private Defer deferral(String type, BreakerState state, Instant lookAgain) {
    Instant now = now();
    Instant base = lookAgain.isBefore(now) ? now : lookAgain;
    String why = switch (state) {
      case OPEN -> "is open";
      case FORCED_OPEN -> "is forced open";
      case HALF_OPEN -> "is half-open and its trial attempts are taken";
      case CLOSED -> "closed while a trial attempt was asked for";
    };
    return new Defer(base.plus(jitter()), "the circuit breaker of '" + type + "' " + why);
  }

  private Duration jitter() {
    return Duration.ofMillis(runtime.random().nextLong(JITTER.toMillis() + 1));
  }

  private Instant now() {
    return runtime.clock().instant();
  }
}
