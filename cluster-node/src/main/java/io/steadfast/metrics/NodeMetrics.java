package io.steadfast.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.steadfast.breaker.BreakerState;
import io.steadfast.breaker.BreakerStatus;
import io.steadfast.breaker.Breakers;
import io.steadfast.execution.Bulkheads;
import io.steadfast.protocol.api.DeadLetterStats;
import io.steadfast.storage.JournalBacklog;
import io.steadfast.task.TaskMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Collection;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's Prometheus metrics: what its task entities count (as {@link TaskMetrics}), gauges
 * read at scrape time from the node's own parts, and the JVM's. Every figure is this node's:
 * Prometheus scrapes each node, and sums or compares across them.
 *
 * <p>Gauges only read what the node already keeps at hand (atomic counters, the local copy of
 * the breakers, the cluster membership view), so a scrape never waits on an actor. The one figure
 * that must be asked for, the dead-letter count, is cached and refreshed in the background.
 */
public final class NodeMetrics implements TaskMetrics {

  /** From a no-op handler's few milliseconds up to an hour (the default attempt timeout is 5 minutes). */
  private static final double[] SECONDS_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600
  };

  /** A scrape that finds the dead-letter count older than this asks the queue again. */
  static final Duration DEAD_LETTERS_MAX_AGE = Duration.ofSeconds(5);

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter textFormat = PrometheusTextFormatWriter.create();
  private final Counter submitted;
  private final Counter attempts;
  private final Counter deadLettered;
  private final Histogram attemptDuration;
  private final Histogram waitBeforeFirstAttempt;

  public NodeMetrics() {
    submitted =
        Counter.builder()
            .name("steadfast_tasks_submitted_total")
            .help("Tasks accepted (persisted) by task entities on this node")
            .labelNames("type")
            .register(registry);
    attempts =
        Counter.builder()
            .name("steadfast_attempts_total")
            .help("Attempts ended on this node, by outcome (RATE_LIMITED: failed without counting against the maximum)")
            .labelNames("type", "outcome")
            .register(registry);
    deadLettered =
        Counter.builder()
            .name("steadfast_tasks_dead_lettered_total")
            .help("Tasks dead-lettered by task entities on this node")
            .labelNames("type")
            .register(registry);
    attemptDuration =
        Histogram.builder()
            .name("steadfast_attempt_duration_seconds")
            .help("From an attempt's start to its recorded end (for NODE_LOST: until the loss was noticed)")
            .unit(Unit.SECONDS)
            .labelNames("type")
            .classicOnly()
            .classicUpperBounds(SECONDS_BUCKETS)
            .register(registry);
    waitBeforeFirstAttempt =
        Histogram.builder()
            .name("steadfast_wait_before_first_attempt_seconds")
            .help("From when a task was due (its submission, or its requested start if later) to its first attempt's start")
            .unit(Unit.SECONDS)
            .labelNames("type")
            .classicOnly()
            .classicUpperBounds(SECONDS_BUCKETS)
            .register(registry);
    JvmMetrics.builder().register(registry);
  }

  /**
   * Metrics for a running node: the task counts plus gauges over its breakers, bulkheads,
   * journal queue, dead-letter queue and cluster membership.
   *
   * @param deadLetterStats asks the dead-letter queue for its stats (called at most every few
   *     seconds, never waited on)
   */
  public static NodeMetrics forNode(
      ActorSystem<?> system, Collection<String> types, Bulkheads bulkheads, Breakers breakers,
      Supplier<CompletionStage<DeadLetterStats>> deadLetterStats) {
    NodeMetrics metrics = new NodeMetrics();
    metrics.watchBreakers(types, type -> breakers.lastHeard(type).map(BreakerStatus::state).orElse(null));
    metrics.watchBulkheads(types, bulkheads::inUse, bulkheads::waiting);
    metrics.watchJournal(JournalBacklog.get(system));
    metrics.watchDeadLetters(deadLetterStats, System::nanoTime);
    metrics.watchCluster(Cluster.get(system));
    return metrics;
  }

  // ---------------------------------------------------------------- counted by task entities

  @Override
  public void submitted(String type) {
    submitted.labelValues(type).inc();
  }

  @Override
  public void firstAttemptStarted(String type, long waitMs) {
    waitBeforeFirstAttempt.labelValues(type).observe(waitMs / 1000.0);
  }

  @Override
  public void attemptEnded(String type, String outcome, long durationMs) {
    attempts.labelValues(type, outcome).inc();
    attemptDuration.labelValues(type).observe(durationMs / 1000.0);
  }

  @Override
  public void deadLettered(String type) {
    deadLettered.labelValues(type).inc();
  }

  // ---------------------------------------------------------------- read at scrape time

  /**
   * @param state a breaker's state in this node's copy of the board; null while the node has not
   *     heard of it yet (no sample then)
   */
  void watchBreakers(Collection<String> types, Function<String, BreakerState> state) {
    GaugeWithCallback.builder()
        .name("steadfast_circuit_breaker_state")
        .help("1 for the state each type's circuit breaker is in, as this node last heard, 0 for the others")
        .labelNames("type", "state")
        .callback(gauge -> {
          for (String type : types) {
            BreakerState current = state.apply(type);
            if (current == null) continue;
            for (BreakerState each : BreakerState.values()) {
              gauge.call(each == current ? 1 : 0, type, each.name());
            }
          }
        })
        .register(registry);
  }

  void watchBulkheads(Collection<String> types, ToIntFunction<String> inUse, ToIntFunction<String> waiting) {
    GaugeWithCallback.builder()
        .name("steadfast_bulkhead_in_use")
        .help("Attempts holding a slot of their type's bulkhead on this node")
        .labelNames("type")
        .callback(gauge -> types.forEach(type -> gauge.call(inUse.applyAsInt(type), type)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("steadfast_bulkhead_waiting")
        .help("Attempts waiting for a slot of their type's bulkhead on this node")
        .labelNames("type")
        .callback(gauge -> types.forEach(type -> gauge.call(waiting.applyAsInt(type), type)))
        .register(registry);
  }

  void watchJournal(JournalBacklog journal) {
    GaugeWithCallback.builder()
        .name("steadfast_journal_queued_writes")
        .help("Writes this node's journal has taken and not yet written; past half of "
            + journal.capacity() + " (jdbc-journal.bufferSize) submissions are turned away")
        .callback(gauge -> gauge.call(journal.queued()))
        .register(registry);
  }

  /**
   * The queue is one entity for the cluster, possibly on another node: a scrape answers with the
   * last count it gave (no sample before the first answer) and, if that is older than
   * {@link #DEAD_LETTERS_MAX_AGE}, asks again without waiting.
   */
  void watchDeadLetters(Supplier<CompletionStage<DeadLetterStats>> ask, LongSupplier nanoTime) {
    CachedCount cached = new CachedCount(ask, nanoTime);
    GaugeWithCallback.builder()
        .name("steadfast_dead_letters")
        .help("Tasks in the dead-letter queue (whole cluster; refreshed every few seconds)")
        .callback(gauge -> {
          long count = cached.get();
          if (count >= 0) gauge.call(count);
        })
        .register(registry);
  }

  void watchCluster(Cluster cluster) {
    GaugeWithCallback.builder()
        .name("steadfast_cluster_members")
        .help("Cluster members as this node sees them, by membership status")
        .labelNames("status")
        .callback(gauge -> {
          TreeMap<String, Integer> byStatus = new TreeMap<>();
          byStatus.put(MemberStatus.up().toString(), 0);
          for (Member member : cluster.state().getMembers()) {
            byStatus.merge(member.status().toString(), 1, Integer::sum);
          }
          byStatus.forEach((status, count) -> gauge.call(count, status));
        })
        .register(registry);
    GaugeWithCallback.builder()
        .name("steadfast_cluster_unreachable_members")
        .help("Members this node's failure detector considers unreachable")
        .callback(gauge -> gauge.call(cluster.state().getUnreachable().size()))
        .register(registry);
  }

  // ---------------------------------------------------------------- exposition

  /** The content type of {@link #scrape}: Prometheus text format 0.0.4, UTF-8. */
  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** Every metric's current samples, in the text format. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      textFormat.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  /** The dead-letter count as last heard; at most one question to the queue at a time. */
  private static final class CachedCount {
    private final Supplier<CompletionStage<DeadLetterStats>> ask;
    private final LongSupplier nanoTime;
    private final AtomicBoolean asking = new AtomicBoolean();
    private volatile long count = -1;
    private volatile long askedAt;
    private volatile boolean everAsked;

    CachedCount(Supplier<CompletionStage<DeadLetterStats>> ask, LongSupplier nanoTime) {
      this.ask = ask;
      this.nanoTime = nanoTime;
    }

    long get() {
      long now = nanoTime.getAsLong();
      boolean stale = !everAsked || now - askedAt >= DEAD_LETTERS_MAX_AGE.toNanos();
      if (stale && asking.compareAndSet(false, true)) {
        everAsked = true;
        askedAt = now;
        try {
          ask.get().whenComplete((stats, failure) -> {
            // On failure the last count stays: a queue moving between nodes is back soon.
            if (stats != null) count = stats.total();
            asking.set(false);
          });
        } catch (RuntimeException e) {
          asking.set(false);
        }
      }
      return count;
    }
  }
}
