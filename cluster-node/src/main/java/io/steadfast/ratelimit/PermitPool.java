package io.steadfast.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
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
 *
 * <p>While the limiter is silent (its node died and it has not started elsewhere yet, or it is
 * slow), the pool serves its waiters from a local bucket at its share of the limit: the limit
 * divided by the members that are not down, which every node computes alike, counted from when
 * the unanswered lease was sent. It keeps asking the limiter meanwhile, and its first answer ends
 * the local serving at once (along with what is left of it). Without this, a failover left every
 * node without permits for seconds. If that answer comes from the limiter that answered before
 * (it was slow, not gone), its bucket filled while the pool served locally: the pool repays what it
 * served from that limiter's next leases, so a slow limiter costs no permits over the limit
 * beyond one silence's share. Only to a limiter other than the one that answered before (it
 * started empty) is nothing owed.
 *
 * <p>The cost is a bounded overshoot, only while some limiter is silent: each silent node adds at
 * most its share, so the nodes that cannot reach the limiter together add at most the limit
 * (n - 1 of n shares while membership agrees), on top of what the limiter leases. Cases: a dead
 * limiter leases nothing, so the survivors run at (n - 1)/n of the limit until its node is
 * downed, then at the limit, until the new limiter answers; a slow limiter that answers later
 * than {@link #FALLBACK_AFTER} lets each node run ahead by its share of the wait, repaid from
 * the next leases, under 2x the limit over the wait in the worst case; a partition gives the
 * limiter's side the whole limit and the other side its shares until the split-brain resolver
 * downs one side (about 10 s: the acceptable heartbeat pause plus stable-after), again under 2x.
 * A live limiter answers in milliseconds and the pool never serves locally, unless its node is
 * saturated: then the repayment keeps the rate at the limit over a few leases.
 */
final class PermitPool extends AbstractBehavior<PermitPool.Command> {
  /** Unused leased permits are dropped after this, so that no node hoards a burst. */
  static final Duration LEASE_TTL = Duration.ofSeconds(1);
  /** A limiter that did not answer (its node died, it is moving) is asked again after this. */
  static final Duration RETRY_AFTER_FAILURE = Duration.ofMillis(100);
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(1);
  /**
   * A lease unanswered this long means a silent limiter: the pool serves its share locally until
   * it answers. Far above a live limiter's answer (milliseconds; on a node saturated by
   * submissions it was seen 0.4-1.6 s late, which the repayment covers), well below a failover
   * (1.7-2.2 s measured from kill -9 to the new limiter's first answer).
   */
  static final Duration FALLBACK_AFTER = Duration.ofMillis(300);
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

  /** The lease in flight went unanswered for {@link #FALLBACK_AFTER}. */
  private enum Silent implements Command {
    INSTANCE
  }

  /** Serving locally: the local bucket may hold the next permits now. */
  private enum LocalTick implements Command {
    INSTANCE
  }

  /** @param members the cluster's members that are not down, now (this node included) */
  static Behavior<Command> create(
      RateLimit limit, Held held, RecipientRef<RateLimiter.Command> limiter, IntSupplier members, Clock clock) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new PermitPool(context, timers, limit, held, limiter, members, clock)));
  }

  /**
   * This node's share of {@code limit} among {@code members} nodes, as a limit of its own. Its
   * burst is two of its leases: one would drop what a late timer should have taken on a busy
   * node (the share then fell to 70 % in a failover), and a silence spent idle saves up no more.
   */
  static RateLimit share(RateLimit limit, int members) {
    RateLimit rate = new RateLimit(limit.permits(), limit.per().multipliedBy(Math.max(1, members)), limit.burst());
    return new RateLimit(rate.permits(), rate.per(), 2 * rate.leaseSize());
  }

  private final TimerScheduler<Command> timers;
  private final RateLimit limit;
  private final Held held;
  private final RecipientRef<RateLimiter.Command> limiter;
  private final IntSupplier members;
  private final Clock clock;
  private final Deque<Acquire> waiters = new ArrayDeque<>();
  private boolean leaseInFlight;
  private boolean fetchAhead;
  /** Non-null while the limiter is silent and the pool serves its share from this bucket. */
  private TokenBucket local;
  /** When the lease in flight was sent. */
  private Instant askedAt;
  private Instant silentSince;
  private int servedLocally;
  /** The limiter run that answered last; null before the first answer. */
  private Long answeredBy;
  /** Served locally while the limiter that answered before was only slow: taken from its next leases. */
  private int owed;

  private PermitPool(
      ActorContext<Command> context, TimerScheduler<Command> timers, RateLimit limit, Held held,
      RecipientRef<RateLimiter.Command> limiter, IntSupplier members, Clock clock) {
    super(context);
    context.setLoggerName(PermitPool.class);
    this.timers = timers;
    this.limit = limit;
    this.held = held;
    this.limiter = limiter;
    this.members = members;
    this.clock = clock;
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
        .onMessage(Silent.class, silent -> {
          if (leaseInFlight) serveLocallyFromNowOn();
          return this;
        })
        .onMessage(LocalTick.class, tick -> {
          serveLocally();
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

  /**
   * Asks the limiter for a batch, unless a lease is on its way or a short one said to wait; while
   * the limiter is silent, serves from the local bucket as well.
   */
  private void lease() {
    if (local != null) serveLocally();
    if (leaseInFlight || timers.isTimerActive(AskAgain.INSTANCE)) return;
    // While serving locally it keeps asking, waiters or not, to notice the limiter's return.
    int wanted = fetchAhead || local != null ? limit.leaseSize() : Math.min(limit.leaseSize(), waiters.size());
    if (wanted == 0) return;
    leaseInFlight = true;
    askedAt = clock.instant();
    if (local == null) timers.startSingleTimer(Silent.INSTANCE, FALLBACK_AFTER);
    getContext().pipeToSelf(
        AskPattern.<RateLimiter.Command, RateLimiter.Leased>ask(
            limiter, replyTo -> new RateLimiter.Lease(wanted, replyTo), ASK_TIMEOUT, getContext().getSystem().scheduler()),
        (leased, failure) -> new LeaseAnswered(failure == null ? leased : null));
  }

  private Behavior<Command> leaseAnswered(LeaseAnswered answer) {
    leaseInFlight = false;
    timers.cancel(Silent.INSTANCE);
    if (answer.leased() == null) {
      if (local == null) serveLocallyFromNowOn();
      timers.startSingleTimer(AskAgain.INSTANCE, RETRY_AFTER_FAILURE);
      return this;
    }
    long incarnation = answer.leased().incarnation();
    if (local != null) stopServingLocally(incarnation);
    else if (answeredBy == null || answeredBy != incarnation) owed = 0;
    answeredBy = incarnation;
    held.leased.addAndGet(answer.leased().granted());
    int repaid = Math.min(owed, answer.leased().granted());
    owed -= repaid;
    grant(answer.leased().granted() - repaid);
    fetchAhead = false;
    if (answer.leased().retryInMs() > 0 && !waiters.isEmpty()) {
      Duration retryIn = Duration.ofMillis(answer.leased().retryInMs());
      timers.startSingleTimer(AskAgain.INSTANCE, retryIn.compareTo(MIN_RETRY) < 0 ? MIN_RETRY : retryIn);
    } else {
      lease();
    }
    return this;
  }

  private void serveLocallyFromNowOn() {
    silentSince = askedAt;
    // The share counts from when the unanswered lease was sent, not from now: the node got nothing
    // since, and a failover would otherwise lose FALLBACK_AFTER's worth of the limit (measured:
    // 6 of the 12 permits the window of a kill still fell short by). No more than that is saved up.
    local = TokenBucket.emptyAt(askedAt);
    servedLocally = 0;
    getContext().getLog().warn("{}: the rate limiter left a lease unanswered for {} ms; serving this node's share of {} locally, {}, until it answers",
        getContext().getSelf().path().name(), Duration.between(askedAt, clock.instant()).toMillis(), limit.describe(),
        share(limit, members.getAsInt()).describe());
    serveLocally();
  }

  /**
   * Its first answer ends the local serving, with what is left of it: from now on the limiter
   * alone counts. The same limiter as before was only slow, and refilled its bucket meanwhile:
   * what was served locally is owed to it.
   */
  private void stopServingLocally(long incarnation) {
    local = null;
    timers.cancel(LocalTick.INSTANCE);
    held.clear();
    // Before any answer, the limiter may have been running (another node's lease started it): owed.
    boolean slow = answeredBy == null || answeredBy == incarnation;
    owed = slow ? owed + servedLocally : 0;
    getContext().getLog().info("{}: the rate limiter answered again {} ms after the lease it left unanswered; {} permits were served locally meanwhile{}",
        getContext().getSelf().path().name(), Duration.between(silentSince, clock.instant()).toMillis(), servedLocally,
        slow ? ", repaid from its next leases (the same limiter, only slow)" : " (a new limiter, which started empty)");
  }

  /** Takes from the local bucket what the waiters (or a fetch ahead) need, at this node's share. */
  private void serveLocally() {
    if (local == null || timers.isTimerActive(LocalTick.INSTANCE)) return;
    RateLimit share = share(limit, members.getAsInt());
    int wanted = fetchAhead ? share.leaseSize() : Math.min(share.leaseSize(), waiters.size());
    if (wanted == 0) return;
    TokenBucket.Lease taken = local.take(wanted, clock.instant(), share);
    local = taken.after();
    servedLocally += taken.granted();
    grant(taken.granted());
    if (taken.granted() > 0) fetchAhead = false;
    if (!waiters.isEmpty()) {
      Duration next = taken.retryIn().compareTo(MIN_RETRY) < 0 ? MIN_RETRY : taken.retryIn();
      timers.startSingleTimer(LocalTick.INSTANCE, next);
    }
  }

  /** Serves the waiters in order from {@code granted} permits; holds the rest for takes. */
  private void grant(int granted) {
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
  }
}
