package io.steadfast.execution;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The slots of one bulkhead, counted where both its actor and a new task's fast start (see
 * {@link Bulkheads#tryAcquireNow}) take them, so that together they never hold more than
 * {@code concurrency}. Only the actor frees slots and queues waiters, and it hands a freed slot
 * straight to the next waiter: a slot is never free while an attempt waits, so a fast start
 * cannot overtake the queue. Thread-safe; read by metrics and admission control without asking.
 */
public final class BulkheadSlots {
  private final int concurrency;
  private final AtomicInteger taken = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();

  public BulkheadSlots(int concurrency) {
    this.concurrency = concurrency;
  }

  public int concurrency() {
    return concurrency;
  }

  /** Slots held, fast starts included (the actor may not have heard of the newest yet). */
  public int inUse() {
    return taken.get();
  }

  /** Attempts waiting in the actor's queue, as it last published. */
  public int waiting() {
    return waiting.get();
  }

  /**
   * Takes a slot for an attempt that did not ask the actor, only while nobody waits: queued
   * attempts keep their turn. (As freed slots go straight to waiters, a free slot already means
   * an empty queue; reading {@code waiting} keeps the rule plain and costs nothing.) The one race
   * left is with an Acquire of the same instant for the last free slot: whichever takes it first
   * runs and the other waits or is turned away, just as two Acquires race in the actor's mailbox.
   */
  boolean tryTakeUnqueued() {
    return waiting.get() == 0 && tryTake();
  }

  /** Takes a slot if one is free. */
  boolean tryTake() {
    return taken.getAndUpdate(n -> n < concurrency ? n + 1 : n) < concurrency;
  }

  /**
   * Never below zero: a failed actor's count starts again from zero and its holders are forgotten,
   * but a fast start's Adopt sent before the failure still reaches the new incarnation, whose
   * count never had that slot, and is released there.
   */
  void free() {
    taken.getAndUpdate(n -> Math.max(0, n - 1));
  }

  void publishWaiting(int count) {
    waiting.set(count);
  }

  /** The actor failed: its next incarnation holds no permits and has nobody waiting. */
  void reset() {
    taken.set(0);
    waiting.set(0);
  }
}
