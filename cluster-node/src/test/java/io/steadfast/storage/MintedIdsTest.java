package io.steadfast.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** An entity skips its recovery reads only on an id minted here, unexpired, and only once. */
class MintedIdsTest {
  private final AtomicLong nanos = new AtomicLong(42);
  private final MintedIds ids = new MintedIds(nanos::get);

  @Test
  void onlyAnIdMintedHereIsClaimedAndOnlyOnce() {
    assertFalse(ids.claim("Task|elsewhere"), "never minted here");

    ids.minted("Task|a");
    assertTrue(ids.claim("Task|a"));
    assertFalse(ids.claim("Task|a"), "a second incarnation recovers in full");
    assertFalse(ids.takeClaim("Task|a"), "a second claim drops the entry: the journal is asked");
  }

  @Test
  void theJournalSkipsItsQueryOnlyForAClaimedIdAndOnlyOnce() {
    ids.minted("Task|a");
    assertFalse(ids.takeClaim("Task|a"), "minted, but no entity claimed it: it did not skip its recovery");
    assertTrue(ids.claim("Task|a"), "asking the journal left the unclaimed entry as it was");

    assertTrue(ids.takeClaim("Task|a"));
    assertFalse(ids.takeClaim("Task|a"), "a restarted entity asks the journal");
    assertFalse(ids.claim("Task|a"));
  }

  @Test
  void anExpiredIdIsNeitherClaimedNorSkipped() {
    ids.minted("Task|late");
    ids.minted("Task|claimed-late");
    assertTrue(ids.claim("Task|claimed-late"));

    nanos.addAndGet(MintedIds.LIFETIME.toNanos());

    assertFalse(ids.claim("Task|late"));
    assertFalse(ids.takeClaim("Task|claimed-late"));
  }

  @Test
  void aForgottenIdIsNeitherClaimedNorSkipped() {
    ids.minted("Task|answered");
    ids.forget("Task|answered");
    assertFalse(ids.claim("Task|answered"));

    ids.minted("Task|claimed");
    assertTrue(ids.claim("Task|claimed"));
    ids.forget("Task|claimed");
    assertFalse(ids.takeClaim("Task|claimed"));
  }

  @Test
  void aFullRegistryRecordsNoMoreUntilItsEntriesExpire() {
    for (int i = 0; i < MintedIds.CAPACITY; i++) ids.minted("Task|" + i);
    ids.minted("Task|one-too-many");
    assertFalse(ids.claim("Task|one-too-many"), "not recorded: its entity recovers in full");
    assertTrue(ids.claim("Task|0"), "those recorded before stay");

    nanos.addAndGet(MintedIds.LIFETIME.toNanos());
    ids.minted("Task|after-expiry");
    assertTrue(ids.claim("Task|after-expiry"), "expired entries made room");
  }
}
