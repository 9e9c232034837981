package io.steadfast.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One answer shared by every caller for a while: however many consoles watch a node, it asks
 * the read side and the members once per {@code maxAge}. A failed answer is not kept, so the
 * next caller asks again.
 */
final class SharedAnswer<T> {
  private final Supplier<CompletionStage<T>> ask;
  private final long maxAgeNanos;
  private final LongSupplier nanoTime;
  private CompletableFuture<T> last;
  private long askedAt;

  SharedAnswer(Supplier<CompletionStage<T>> ask, Duration maxAge, LongSupplier nanoTime) {
    this.ask = ask;
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoTime = nanoTime;
  }

  /** The answer being fetched or fetched less than {@code maxAge} ago; else a new one. */
  synchronized CompletionStage<T> get() {
    long now = nanoTime.getAsLong();
    boolean stale = last == null || now - askedAt >= maxAgeNanos || last.isCompletedExceptionally();
    if (stale) {
      askedAt = now;
      try {
        last = ask.get().toCompletableFuture();
      } catch (RuntimeException e) {
        last = CompletableFuture.failedFuture(e);
      }
    }
    return last;
  }
}
