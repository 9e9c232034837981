package io.steadfast.task;

import io.steadfast.ratelimit.RatePermits;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/** Rate-limit permits a test hands out: types in {@link #limited} have only what {@link #release} gave. */
final class StubRatePermits implements RatePermits {
  /** Limited types and the permits each holds now. */
  final Map<String, Integer> limited = new ConcurrentHashMap<>();
  private final Deque<Waiter> waiters = new ArrayDeque<>();

  private record Waiter(String type, int attempt, ActorRef<Granted> replyTo) {}

  @Override
  public synchronized boolean tryTake(String type) {
    Integer held = limited.get(type);
    if (held == null) return true;
    if (held == 0) return false;
    limited.put(type, held - 1);
    return true;
  }

  @Override
  public synchronized void giveBack(String type) {
    limited.computeIfPresent(type, (t, held) -> held + 1);
  }

  @Override
  public synchronized void await(String type, int attempt, ActorRef<Granted> replyTo) {
    if (tryTake(type)) replyTo.tell(new Granted(attempt));
    else waiters.addLast(new Waiter(type, attempt, replyTo));
  }

  /** {@code permits} more for {@code type}: waiters first, in order. */
  synchronized void release(String type, int permits) {
    limited.merge(type, permits, Integer::sum);
    for (var it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      if (waiter.type().equals(type) && tryTake(type)) {
        it.remove();
        waiter.replyTo().tell(new Granted(waiter.attempt()));
      }
    }
  }

  synchronized void reset() {
    limited.clear();
    waiters.clear();
  }
}
