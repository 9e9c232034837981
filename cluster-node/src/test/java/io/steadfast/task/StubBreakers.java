package io.steadfast.task;

import io.steadfast.breaker.BreakerStatus;
import io.steadfast.breaker.Breakers;
import io.steadfast.breaker.TrialDecision;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Breakers a test sets by hand; records what the entities report. */
final class StubBreakers implements Breakers {
  record Report(String type, boolean failure, boolean trial) {}

  final Map<String, BreakerStatus> statuses = new ConcurrentHashMap<>();
  final List<Report> reports = new CopyOnWriteArrayList<>();
  /** When set, trials are refused, and the breaker answers with this status. */
  volatile BreakerStatus refuseTrialsWith;

  @Override
  public Optional<BreakerStatus> lastHeard(String type) {
    return Optional.ofNullable(statuses.get(type));
  }

  @Override
  public CompletionStage<TrialDecision> requestTrial(String type) {
    BreakerStatus refusal = refuseTrialsWith;
    TrialDecision decision = refusal != null ? new TrialDecision(false, refusal) : new TrialDecision(true, status(type));
    return CompletableFuture.completedFuture(decision);
  }

  @Override
  public void report(String type, boolean failure, boolean trial) {
    reports.add(new Report(type, failure, trial));
  }

  void reset() {
    statuses.clear();
    reports.clear();
    refuseTrialsWith = null;
  }
}
