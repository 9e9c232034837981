package io.steadfast.http;

import io.steadfast.breaker.CircuitBreakers;
import io.steadfast.dlq.DeadLetterQueue;
import io.steadfast.membership.ClusterOverview;
import io.steadfast.protocol.api.ClusterView;
import io.steadfast.protocol.api.DeadLetterStats;
import io.steadfast.protocol.api.StatsView;
import io.steadfast.protocol.api.ThroughputView;
import io.steadfast.stats.ReadSideQueries;
import io.steadfast.task.TaskTypes;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The figures operators read, each gathered from where it lives: the read side's counts with the
 * breakers' states and the dead-letter queue's counts ({@link #stats}), the ended tasks over time
 * ({@link #throughput}), and the members with their loads ({@link #cluster}). The API answers
 * them one by one and the event stream sends them together.
 */
public final class ClusterFigures {
  private final ActorSystem<?> system;
  private final ReadSideQueries queries;
  private final TaskTypes types;
  private final CircuitBreakers breakers;
  private final ClusterOverview overview;
  private final Duration askTimeout;

  public ClusterFigures(
      ActorSystem<?> system, ReadSideQueries queries, TaskTypes types, CircuitBreakers breakers,
      ClusterOverview overview, Duration askTimeout) {
    this.system = system;
    this.queries = queries;
    this.types = types;
    this.breakers = breakers;
    this.overview = overview;
    this.askTimeout = askTimeout;
  }

  CompletionStage<StatsView> stats() {
    CompletionStage<DeadLetterStats> deadLetters =
        DeadLetterQueue.ref(system).ask(DeadLetterQueue.GetStats::new, askTimeout);
    return queries.stats().thenCombine(deadLetters, (view, dlq) -> new StatsView(
        view.totals(), view.rates(), view.byStatus(), view.byType(), view.failuresByErrorType(), view.throughput(),
        breakers.stateCounts(types.names()), dlq, view.readSide(), view.workflows()));
  }

  CompletionStage<ThroughputView> throughput(Duration window, Duration bucket) {
    return queries.throughput(window, bucket);
  }

  CompletionStage<ClusterView> cluster() {
    return overview.view();
  }

  ReadSideQueries queries() {
    return queries;
  }

  TaskTypes types() {
    return types;
  }
}
