package io.steadfast.task;

import io.steadfast.breaker.BreakerStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Breakers a test sets by hand; records what the entities report. */
final class StubBreakers implements Breakers {
  record Report(String type, boolean failure, boolean trial) {}

  final Map<String, BreakerStatus> statuses = new ConcurrentHashMap<>();
  final List<Report> reports = new CopyOnWriteArrayList<>();
  volatile boolean grantTrials = true;

  @Override
  public BreakerStatus status(String type) {
    return statuses.get(type);
  }

  @Override
  public CompletionStage<Boolean> requestTrial(String type) {
    return CompletableFuture.completedFuture(grantTrials);
  }

  @Override
  public void report(String type, boolean failure, boolean trial) {
    reports.add(new Report(type, failure, trial));
  }

  void reset() {
    statuses.clear();
    reports.clear();
    grantTrials = true;
  }
}
