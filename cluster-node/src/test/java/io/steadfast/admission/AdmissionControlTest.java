package io.steadfast.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AdmissionControlTest {
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger journalQueued = new AtomicInteger();
  private final AdmissionControl admission = new AdmissionControl(100, Duration.ofSeconds(2), waiting::get,
      new AdmissionControl.Journal(journalQueued::get, 40));

  @Test
  void lowerPrioritiesAreTurnedAwayFirst() {
    assertEquals(50, admission.limitFor(0));
    assertEquals(100, admission.limitFor(9));
    assertTrue(admission.limitFor(5) > admission.limitFor(4));

    waiting.set(60);
    assertTrue(admission.admit(0).isPresent(), "priority 0 is shed from half the bound");
    assertTrue(admission.admit(9).isEmpty(), "priority 9 is still taken");
  }

  @Test
  void pastTheBoundEveryoneIsToldWhenToComeBack() {
    waiting.set(100);
    var rejection = admission.admit(9).orElseThrow();
    assertEquals(AdmissionControl.Bound.LOAD, rejection.bound());
    assertEquals(100, rejection.load());
    assertEquals(100, rejection.limit());
    assertEquals(Duration.ofSeconds(2), rejection.retryAfter());
  }

  @Test
  void submissionsInFlightCountUntilTheyAreAnswered() {
    waiting.set(49);
    assertTrue(admission.admit(0).isEmpty());
    assertTrue(admission.admit(0).isPresent(), "the first one is still in flight: load 50");
    admission.done();
    assertTrue(admission.admit(0).isEmpty());
  }

  @Test
  void aJournalHoldingHalfItsQueueTurnsEveryPriorityAway() {
    journalQueued.set(19);
    assertTrue(admission.admit(9).isEmpty(), "below half the queue");
    admission.done();
    journalQueued.set(20);
    var rejection = admission.admit(9).orElseThrow();
    assertEquals(AdmissionControl.Bound.JOURNAL, rejection.bound());
    assertEquals(20, rejection.load());
    assertEquals(20, rejection.limit());
    assertTrue(admission.admit(0).isPresent());
    // Refused without taking a place: once the journal drains, the node's own bound is untouched.
    journalQueued.set(0);
    waiting.set(49);
    assertTrue(admission.admit(0).isEmpty());
  }

  @Test
  void submissionsInFlightCountAgainstTheJournalsWholeQueue() {
    journalQueued.set(10);
    for (int i = 0; i < 30; i++) assertTrue(admission.admit(9).isEmpty(), "room for the write of submission " + i);
    var rejection = admission.admit(9).orElseThrow();
    assertEquals(AdmissionControl.Bound.JOURNAL, rejection.bound());
    assertEquals(40, rejection.load(), "10 queued and 30 in flight");
    assertEquals(40, rejection.limit());
    admission.done();
    assertTrue(admission.admit(9).isEmpty(), "an answered submission gives its room back");
  }
}
