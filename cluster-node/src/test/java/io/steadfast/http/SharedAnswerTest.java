package io.steadfast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** However many consoles ask, a figure is read once per interval, and a failure is not kept. */
class SharedAnswerTest {
  private final AtomicLong now = new AtomicLong();
  private final AtomicInteger asked = new AtomicInteger();

  @Test
  void callersWithinTheMaxAgeShareOneAnswer() throws Exception {
    SharedAnswer<Integer> shared =
        new SharedAnswer<>(() -> CompletableFuture.completedFuture(asked.incrementAndGet()), Duration.ofSeconds(2), now::get);
    for (int caller = 0; caller < 10; caller++) assertEquals(1, shared.get().toCompletableFuture().get());
    now.addAndGet(Duration.ofMillis(1999).toNanos());
    assertEquals(1, shared.get().toCompletableFuture().get());
    now.addAndGet(Duration.ofMillis(1).toNanos());
    assertEquals(2, shared.get().toCompletableFuture().get(), "asked again once the answer is as old as the max age");
    assertEquals(2, asked.get());
  }

  @Test
  void aFailedAnswerIsAskedAgainByTheNextCaller() {
    SharedAnswer<Integer> shared = new SharedAnswer<>(() -> asked.incrementAndGet() == 1
        ? CompletableFuture.failedFuture(new IllegalStateException("read side down"))
        : CompletableFuture.completedFuture(7), Duration.ofMinutes(1), now::get);
    assertTrue(shared.get().toCompletableFuture().isCompletedExceptionally());
    assertEquals(7, shared.get().toCompletableFuture().join());
    assertEquals(7, shared.get().toCompletableFuture().join());
    assertEquals(2, asked.get());
  }

  @Test
  void aFigureStillBeingReadIsSharedToo() {
    CompletableFuture<Integer> slow = new CompletableFuture<>();
    SharedAnswer<Integer> shared = new SharedAnswer<>(() -> {
      asked.incrementAndGet();
      return slow;
    }, Duration.ofSeconds(2), now::get);
    shared.get();
    shared.get();
    slow.complete(3);
    assertEquals(3, shared.get().toCompletableFuture().join());
    assertEquals(1, asked.get());
  }
}
