package io.steadfast.admission;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * Decides whether this node takes another submission, so that under more load than the cluster
 * can take, clients are told to come back ({@code 429} with {@code Retry-After}) instead of
 * waiting ever longer. Load is what this node holds: submissions in flight plus attempts waiting
 * in its bulkheads. Lower priorities are turned away first: a submission of priority p (0..9) is
 * taken while {@code load < maxLoad × (0.5 + 0.5 × p / 9)}, so priority 0 is shed from half the
 * bound and priority 9 only at the bound. Accepted tasks are never dropped.
 *
 * <p>The journal is a bound of its own: its queue fails a write offered when full (the write is
 * not acknowledged, and a submission waits out its ask timeout for a 503), so while the node's
 * journal holds half its queue or more, every priority is turned away. The other half is left for
 * the writes of the tasks already taken (attempts starting and ending) and for sharding's own.
 * Each submission in flight will offer one write too, and a batch is admitted before any of its
 * writes is queued: so a submission is also turned away once the queued writes and the
 * submissions in flight together reach the whole queue. (A submission whose write is already
 * queued counts twice, which only matters that close to the queue's end.)
 */
public final class AdmissionControl {
  private final int maxLoad;
  private final Duration retryAfter;
  private final IntSupplier waitingAttempts;
  private final Journal journal;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Which bound turned a submission away. */
  public enum Bound { LOAD, JOURNAL }

  /**
   * Why a submission was turned away: {@code load} against {@code limit} are the node's load for
   * {@link Bound#LOAD}; for {@link Bound#JOURNAL}, the journal's queued writes against half its
   * queue, or those and the submissions in flight against the whole queue.
   */
  public record Rejection(Bound bound, int load, int limit, int priority, Duration retryAfter) {}

  /** The node's journal queue: writes waiting in it now, and how many it holds. */
  public record Journal(IntSupplier queued, int capacity) {
    int bound() {
      return Math.max(1, capacity / 2);
    }
  }

  public AdmissionControl(int maxLoad, Duration retryAfter, IntSupplier waitingAttempts, Journal journal) {
    this.maxLoad = maxLoad;
    this.retryAfter = retryAfter;
    this.waitingAttempts = waitingAttempts;
    this.journal = journal;
  }

  /** From {@code steadfast.admission}; a bad value names its key. */
  public static AdmissionControl fromConfig(Config config, IntSupplier waitingAttempts, Journal journal) {
    int maxLoad = config.getInt("steadfast.admission.max-load");
    if (maxLoad < 1) {
      throw new ConfigException.BadValue("steadfast.admission.max-load", "must be at least 1 but was " + maxLoad);
    }
    Duration retryAfter = config.getDuration("steadfast.admission.retry-after");
    if (retryAfter.isNegative() || retryAfter.toSeconds() > 3600) {
      throw new ConfigException.BadValue(
          "steadfast.admission.retry-after", "must be between 0s and 1h but was " + retryAfter);
    }
    return new AdmissionControl(maxLoad, retryAfter, waitingAttempts, journal);
  }

  /**
   * Takes a place for a submission of {@code priority}, or says why not. A place taken must be
   * given back with {@link #done()} once the submission is answered.
   */
  public Optional<Rejection> admit(int priority) {
    int queued = journal.queued().getAsInt();
    if (queued >= journal.bound()) {
      return Optional.of(new Rejection(Bound.JOURNAL, queued, journal.bound(), priority, retryAfter));
    }
    int writesComing = queued + inFlight.get();
    if (writesComing >= journal.capacity()) {
      return Optional.of(new Rejection(Bound.JOURNAL, writesComing, journal.capacity(), priority, retryAfter));
    }
    int limit = limitFor(priority);
    int load = inFlight.incrementAndGet() - 1 + waitingAttempts.getAsInt();
    if (load < limit) return Optional.empty();
    inFlight.decrementAndGet();
    return Optional.of(new Rejection(Bound.LOAD, load, limit, priority, retryAfter));
  }

  public void done() {
    inFlight.decrementAndGet();
  }

  int limitFor(int priority) {
    double share = 0.5 + 0.5 * Math.max(0, Math.min(9, priority)) / 9.0;
    return (int) Math.ceil(maxLoad * share);
  }
}
