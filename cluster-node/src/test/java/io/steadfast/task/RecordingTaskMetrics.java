package io.steadfast.task;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what task entities count, as lines like {@code "attempt flaky FAILED"}. */
final class RecordingTaskMetrics implements TaskMetrics {
  private final List<String> recorded = new CopyOnWriteArrayList<>();
  private final List<Long> firstWaitsMs = new CopyOnWriteArrayList<>();

  @Override
  public void submitted(String type) {
    recorded.add("submitted " + type);
  }

  @Override
  public void firstAttemptStarted(String type, long waitMs) {
    recorded.add("first-attempt " + type);
    firstWaitsMs.add(waitMs);
  }

  @Override
  public void attemptEnded(String type, String outcome, long durationMs) {
    recorded.add("attempt " + type + " " + outcome);
  }

  @Override
  public void deadLettered(String type) {
    recorded.add("dead-lettered " + type);
  }

  /** Everything recorded about tasks of {@code type}, in order. */
  List<String> of(String type) {
    return recorded.stream().filter(line -> line.split(" ")[1].equals(type)).toList();
  }

  List<Long> firstWaitsMs() {
    return List.copyOf(firstWaitsMs);
  }

  void clear() {
    recorded.clear();
    firstWaitsMs.clear();
  }
}
