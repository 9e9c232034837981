package io.steadfast.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/** Submits tasks: as fast as a bounded number of requests in flight allows, or at a fixed rate. */
final class Load {
  private Load() {}

  /**
   * @param ids the accepted tasks, in submission order
   * @param firstSubmit when the first request was sent (this machine's clock, as the nodes')
   * @param lastAccepted when the last accepting answer arrived
   * @param failed submissions given up after repeated refusals
   * @param held how often the fixed-rate generator waited for a free slot (it fell behind)
   * @param acceptedAfterMs for each accepted task, its first request to the accepting answer,
   *     retries included (what a client waits; the task's createdAt is only its accepted try)
   */
  record Submitted(List<String> ids, Instant firstSubmit, Instant lastAccepted, int failed, int held,
      long[] acceptedAfterMs) {
    double submitRate() {
      return ids.size() / seconds(firstSubmit, lastAccepted);
    }
  }

  static double seconds(Instant from, Instant to) {
    return Math.max(1, Duration.between(from, to).toMillis()) / 1000.0;
  }

  /** {@code count} tasks, at most {@code inFlight} requests (retries included) outstanding at once. */
  static Submitted closedLoop(Api api, int count, int inFlight, IntFunction<ObjectNode> body) throws InterruptedException {
    Run run = new Run(count, inFlight);
    int step = Math.max(1, count / 10);
    for (int i = 0; i < count; i++) {
      run.slots.acquire();
      run.send(api, i, body);
      if ((i + 1) % step == 0) Figures.progress("submitted %d of %d", i + 1, count);
    }
    return run.finish(0);
  }

  /**
   * {@code rate} tasks a second for {@code duration}, each sent at its time whatever the answers
   * to the earlier ones (an open loop, so that a slow cluster shows in the latencies rather than
   * slowing the load down), up to {@code maxInFlight} outstanding.
   */
  static Submitted openLoop(Api api, double rate, Duration duration, int maxInFlight, IntFunction<ObjectNode> body)
      throws InterruptedException {
    int count = (int) Math.max(1, Math.round(rate * duration.toMillis() / 1000.0));
    Run run = new Run(count, maxInFlight);
    long start = System.nanoTime();
    double periodNanos = 1e9 / rate;
    int held = 0;
    for (int i = 0; i < count; i++) {
      long due = start + (long) (i * periodNanos);
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) LockSupport.parkNanos(wait);
      if (!run.slots.tryAcquire()) {
        held++;
        run.slots.acquire();
      }
      run.send(api, i, body);
    }
    return run.finish(held);
  }

  /**
   * {@code count} tasks in batch submissions of {@code batchSize}, at most {@code inFlight}
   * batch requests outstanding at once.
   */
  static Submitted closedLoopBatched(Api api, int count, int inFlight, int batchSize, IntFunction<ObjectNode> body)
      throws InterruptedException {
    Run run = new Run(count, inFlight);
    int step = Math.max(batchSize, count / 10);
    for (int from = 0; from < count; from += batchSize) {
      run.slots.acquire();
      run.sendBatch(api, from, Math.min(count, from + batchSize), from / batchSize, body);
      if ((from / step) != ((from + batchSize) / step)) Figures.progress("submitted %d of %d", Math.min(count, from + batchSize), count);
    }
    return run.finish(0);
  }

  /** One run's submissions in flight. */
  private static final class Run {
    final Semaphore slots;
    final int inFlight;
    final AtomicReferenceArray<String> ids;
    final long[] acceptedAfterMs;
    final AtomicInteger failed = new AtomicInteger();
    final AtomicLong lastAcceptedMillis = new AtomicLong();
    final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    final Instant first = Instant.now();

    Run(int count, int inFlight) {
      this.slots = new Semaphore(inFlight);
      this.inFlight = inFlight;
      this.ids = new AtomicReferenceArray<>(count);
      this.acceptedAfterMs = new long[count];
    }

    void send(Api api, int i, IntFunction<ObjectNode> body) {
      long sent = System.nanoTime();
      api.submit(body.apply(i), i).whenComplete((id, error) -> {
        if (error == null) {
          acceptedAfterMs[i] = (System.nanoTime() - sent) / 1_000_000; // published by the semaphore
          ids.set(i, id);
          lastAcceptedMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
        } else {
          failed.incrementAndGet();
          firstFailure.compareAndSet(null, error);
        }
        slots.release();
      });
    }

    /** Tasks {@code from} (inclusive) to {@code to} in one batch request: one slot for all of them. */
    void sendBatch(Api api, int from, int to, int salt, IntFunction<ObjectNode> body) {
      long sent = System.nanoTime();
      List<ObjectNode> bodies = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) bodies.add(body.apply(i));
      api.submitBatch(bodies, salt).whenComplete((taken, error) -> {
        long afterMs = (System.nanoTime() - sent) / 1_000_000;
        for (int i = from; i < to; i++) {
          String id = error == null ? taken.get(i - from) : null;
          if (id == null) {
            failed.incrementAndGet();
            if (error != null) firstFailure.compareAndSet(null, error);
            continue;
          }
          acceptedAfterMs[i] = afterMs;
          ids.set(i, id);
        }
        lastAcceptedMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
        slots.release();
      });
    }

    Submitted finish(int held) throws InterruptedException {
      slots.acquire(inFlight); // every submission has its answer
      if (firstFailure.get() != null) {
        Figures.progress("%d submission(s) failed, the first: %s", failed.get(), firstFailure.get());
      }
      List<String> accepted = new ArrayList<>(ids.length());
      List<Long> waits = new ArrayList<>(ids.length());
      for (int i = 0; i < ids.length(); i++) {
        if (ids.get(i) == null) continue;
        accepted.add(ids.get(i));
        waits.add(acceptedAfterMs[i]);
      }
      return new Submitted(accepted, first, Instant.ofEpochMilli(lastAcceptedMillis.get()), failed.get(), held,
          waits.stream().mapToLong(Long::longValue).toArray());
    }
  }
}
