package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Waits until tasks are terminal (SUCCEEDED, DEAD_LETTERED or CANCELLED) and keeps their last
 * views.
 *
 * <p>How, without hammering the cluster while it works: first a small sample is polled once a
 * second, weighted to the tail (the tasks submitted last are the likeliest to finish last), so
 * that the cluster spends its time on the tasks rather than on our reads. Once the sample is
 * done, every task is read once, {@link #READS_IN_FLIGHT} requests at a time, and those not yet
 * terminal are read again each second. The figures come from the views' server times
 * (updatedAt, createdAt, endedAt), so when we notice the end does not change what is measured;
 * the reads only need to leave the work alone until it is almost over.
 */
final class Completion {
  private Completion() {}

  static final int READS_IN_FLIGHT = 16;
  private static final int SAMPLE_TAIL = 32;
  private static final int SAMPLE_RANDOM = 32;

  /** @param views the last view of each terminal task; {@code unfinished} were not terminal by the bound */
  record Outcome(Map<String, JsonNode> views, List<String> unfinished) {
    long succeeded() {
      return views.values().stream().filter(Views::succeeded).count();
    }

    /** Terminal but not SUCCEEDED. */
    long failed() {
      return views.size() - succeeded();
    }
  }

  static Outcome await(Api api, List<String> ids, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    Map<String, JsonNode> done = new ConcurrentHashMap<>();
    List<String> sample = sample(ids);
    while (!done.keySet().containsAll(sample) && System.nanoTime() < deadline) {
      read(api, pending(sample, done), done);
      if (!done.keySet().containsAll(sample)) Thread.sleep(1000);
    }
    int sweeps = 0;
    while (done.size() < ids.size() && System.nanoTime() < deadline) {
      read(api, pending(ids, done), done);
      if (done.size() < ids.size()) {
        if (++sweeps % 5 == 1) Figures.progress("%d of %d tasks terminal", done.size(), ids.size());
        Thread.sleep(1000);
      }
    }
    return new Outcome(done, pending(ids, done));
  }

  private static List<String> sample(List<String> ids) {
    List<String> sample = new ArrayList<>(ids.subList(Math.max(0, ids.size() - SAMPLE_TAIL), ids.size()));
    List<String> rest = new ArrayList<>(ids.subList(0, Math.max(0, ids.size() - SAMPLE_TAIL)));
    Collections.shuffle(rest, new Random(42));
    sample.addAll(rest.subList(0, Math.min(SAMPLE_RANDOM, rest.size())));
    return sample;
  }

  private static List<String> pending(Collection<String> ids, Map<String, JsonNode> done) {
    return ids.stream().filter(id -> !done.containsKey(id)).toList();
  }

  /** Reads each task once, a bounded number at a time; keeps the terminal ones. */
  private static void read(Api api, List<String> ids, Map<String, JsonNode> done) throws InterruptedException {
    Semaphore slots = new Semaphore(READS_IN_FLIGHT);
    int salt = 0;
    for (String id : ids) {
      slots.acquire();
      api.task(id, salt++).whenComplete((view, error) -> {
        if (view != null && Views.isTerminal(view)) done.put(id, view);
        slots.release();
      });
    }
    slots.acquire(READS_IN_FLIGHT);
  }
}
