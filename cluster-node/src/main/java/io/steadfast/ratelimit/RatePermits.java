package io.steadfast.ratelimit;

import org.apache.pekko.actor.typed.ActorRef;

/** What a task needs of its type's rate limit on this node. Types without a limit always have a permit. */
public interface RatePermits {

  /** A permit for attempt {@code attempt}, sent to the task that waited for it. */
  record Granted(int attempt) {}

  /** Takes a permit if this node holds one now (never waits, never asks another node). */
  boolean tryTake(String type);

  /** A permit taken but not used (its attempt did not start) goes back to this node's pool. */
  void giveBack(String type);

  /** Sends {@link Granted} to {@code replyTo} once a permit is there, in the order asked. */
  void await(String type, int attempt, ActorRef<Granted> replyTo);

  /** No type is limited. */
  RatePermits UNLIMITED = new RatePermits() {
    @Override
    public boolean tryTake(String type) {
      return true;
    }

    @Override
    public void giveBack(String type) {}

    @Override
    public void await(String type, int attempt, ActorRef<Granted> replyTo) {
      replyTo.tell(new Granted(attempt));
    }
  };
}
