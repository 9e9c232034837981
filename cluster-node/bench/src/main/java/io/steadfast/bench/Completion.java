package io.steadfast.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
  private static final int LISTING_PAGE = 1000;
  private static final int SAMPLE_TAIL = 32;
  private static final int SAMPLE_RANDOM = 32;
  private static final Duration METRICS_STALL = Duration.ofSeconds(5);

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

  /**
   * The same wait, watched through the read side instead of the tasks: once a second, the task
   * listing of everything created since {@code since} ({@value #LISTING_PAGE} rows a request).
   * What a throughput figure should cost the cluster is the tasks, not our reads of them: a read
   * of each task is one request and one entity ask per task (more than the task itself when the
   * entity has already left memory), which a BullMQ client, counting its worker's events, never
   * pays. The listed rows carry what the figures read: status, attempts, createdAt, updatedAt.
   *
   * <p>Until the nodes' metrics count as many more ended tasks of {@code type} than {@code
   * endedBefore}, only the metrics are asked, once a second: listing every task of the run each
   * second had made a batched task cost 2.25 ms of CPU instead of 2.12 (one run each). Metrics
   * that stop moving short of the count (a node restarted, tasks cancelled) hand over to the
   * listing after {@link #METRICS_STALL}.
   */
  static Outcome awaitListed(Api api, String type, long endedBefore, List<String> ids, Instant since, Duration bound)
      throws InterruptedException, IOException {
    long deadline = System.nanoTime() + bound.toNanos();
    awaitMetrics(api, type, endedBefore + ids.size(), deadline);
    Set<String> wanted = Set.copyOf(ids);
    Map<String, JsonNode> done = new ConcurrentHashMap<>();
    int sweeps = 0;
    while (System.nanoTime() < deadline) {
      String cursor = null;
      do {
        String path = "/api/v1/tasks?limit=" + LISTING_PAGE + "&createdFrom=" + since.minusSeconds(1)
            + (cursor == null ? "" : "&after=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        JsonNode page = api.get(path);
        if (page == null) break;
        for (JsonNode row : page.path("tasks")) {
          String id = row.path("id").asText();
          if (wanted.contains(id) && Views.isTerminal(row)) done.put(id, row);
        }
        cursor = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
      } while (cursor != null);
      if (done.size() >= wanted.size()) break;
      if (++sweeps % 5 == 1) Figures.progress("%d of %d tasks terminal (read side)", done.size(), wanted.size());
      Thread.sleep(1000);
    }
    return new Outcome(done, pending(ids, done));
  }

  private static void awaitMetrics(Api api, String type, long ended, long deadline) throws InterruptedException {
    long last = -1;
    long movedAt = System.nanoTime();
    int polls = 0;
    while (System.nanoTime() < deadline) {
      long now = api.endedByMetrics(type);
      if (now >= ended) return;
      if (now != last) {
        last = now;
        movedAt = System.nanoTime();
      } else if (System.nanoTime() - movedAt > METRICS_STALL.toNanos()) {
        return;
      }
      if (++polls % 5 == 1) Figures.progress("%d tasks of %s still to end (nodes' metrics)", ended - now, type);
      Thread.sleep(1000);
    }
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
