package io.steadfast.ratelimit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One limited type's permits on this node: a few leased from the type's {@link RateLimiter}, in
 * {@link Held}, which tasks take from without a message; and the tasks waiting for one, served in
 * the order they asked as leases come in. The pool leases only while it has waiters, or just ran
 * dry through takes (it fetches the next batch ahead), so an idle node holds nothing the busy
 * ones could use.
 */
final class PermitPool extends AbstractBehavior<PermitPool.Command> {
  /** Unused leased permits are dropped after this, so that no node hoards a burst. */
  static final Duration LEASE_TTL = Duration.ofSeconds(1);
  /** A limiter that did not answer (its node died, it is moving) is asked again after this. */
  static final Duration RETRY_AFTER_FAILURE = Duration.ofMillis(500);
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);
  /** Asking again sooner than this after a short lease is pointless churn. */
  private static final Duration MIN_RETRY = Duration.ofMillis(10);

  /** The permits this node holds, shared with the task entities that take them. */
  static final class Held {
    private final AtomicInteger permits = new AtomicInteger();
    /** Tasks waiting now, for views. */
    final AtomicInteger waiting = new AtomicInteger();
    /** Permits leased since start, for views. */
    final AtomicLong leased = new AtomicLong();

    boolean tryTake() {
      return permits.getAndUpdate(n -> n > 0 ? n - 1 : n) > 0;
    }

    boolean isEmpty() {
      return permits.get() == 0;
    }

    int permits() {
      return permits.get();
    }

    void add(int n) {
      permits.addAndGet(n);
    }

    void clear() {
      permits.set(0);
    }
  }

  sealed interface Command {}

  record Acquire(int attempt, ActorRef<RatePermits.Granted> replyTo) implements Command {}

  /** Takes drained the held permits: lease the next batch ahead of need. */
  enum Drained implements Command {
    INSTANCE
  }

  /** @param leased null when the limiter did not answer */
  private record LeaseAnswered(RateLimiter.Leased leased) implements Command {}

  private enum AskAgain implements Command {
    INSTANCE
  }

  private enum Expire implements Command {
    INSTANCE
  }

  static Behavior<Command> create(RateLimit limit, Held held, RecipientRef<RateLimiter.Command> limiter) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new PermitPool(context, timers, limit, held, limiter)));
  }

  private final TimerScheduler<Command> timers;
  private final RateLimit limit;
  private final Held held;
  private final RecipientRef<RateLimiter.Command> limiter;
  private final Deque<Acquire> waiters = new ArrayDeque<>();
  private boolean leaseInFlight;
  private boolean fetchAhead;

  private PermitPool(
      ActorContext<Command> context, TimerScheduler<Command> timers, RateLimit limit, Held held,
      RecipientRef<RateLimiter.Command> limiter) {
    super(context);
    this.timers = timers;
    this.limit = limit;
    this.held = held;
    this.limiter = limiter;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::acquire)
        .onMessage(Drained.class, drained -> {
          fetchAhead = true;
          lease();
          return this;
        })
        .onMessage(LeaseAnswered.class, this::leaseAnswered)
        .onMessage(AskAgain.class, again -> {
          lease();
          return this;
        })
        .onMessage(Expire.class, expire -> {
          held.clear();
          return this;
        })
        .build();
  }

  private Behavior<Command> acquire(Acquire acquire) {
    if (waiters.isEmpty() && held.tryTake()) {
      acquire.replyTo().tell(new RatePermits.Granted(acquire.attempt()));
      return this;
    }
    waiters.addLast(acquire);
    held.waiting.set(waiters.size());
    lease();
    return this;
  }

  /** Asks the limiter for a batch, unless a lease is on its way or a short one said to wait. */
  private void lease() {
    if (leaseInFlight || timers.isTimerActive(AskAgain.INSTANCE)) return;
    int wanted = fetchAhead ? limit.leaseSize() : Math.min(limit.leaseSize(), waiters.size());
    if (wanted == 0) return;
    leaseInFlight = true;
    getContext().pipeToSelf(
        AskPattern.<RateLimiter.Command, RateLimiter.Leased>ask(
            limiter, replyTo -> new RateLimiter.Lease(wanted, replyTo), ASK_TIMEOUT, getContext().getSystem().scheduler()),
        (leased, failure) -> new LeaseAnswered(failure == null ? leased : null));
  }

  private Behavior<Command> leaseAnswered(LeaseAnswered answer) {
    leaseInFlight = false;
    if (answer.leased() == null) {
      timers.startSingleTimer(AskAgain.INSTANCE, RETRY_AFTER_FAILURE);
      return this;
    }
    int granted = answer.leased().granted();
    held.leased.addAndGet(granted);
    int left = granted;
    while (left > 0 && !waiters.isEmpty()) {
      Acquire next = waiters.pollFirst();
      next.replyTo().tell(new RatePermits.Granted(next.attempt()));
      left--;
    }
    held.waiting.set(waiters.size());
    if (left > 0) {
      held.add(left);
      timers.startSingleTimer(Expire.INSTANCE, LEASE_TTL);
    }
    fetchAhead = false;
    if (answer.leased().retryInMs() > 0 && !waiters.isEmpty()) {
      Duration retryIn = Duration.ofMillis(answer.leased().retryInMs());
      timers.startSingleTimer(AskAgain.INSTANCE, retryIn.compareTo(MIN_RETRY) < 0 ? MIN_RETRY : retryIn);
    } else {
      lease();
    }
    return this;
  }
}
