package io.steadfast.storage;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Persistence ids that this node minted for new entities and that no journal write is known for:
 * an entity started on one has nothing to recover, so it may skip the reads (a snapshot and the
 * highest sequence number) that a recovery costs.
 *
 * <p>An id goes through three steps, each at most once:
 *
 * <ol>
 *   <li>{@link #minted}: the node made up the id, and no one else can have used it yet;
 *   <li>{@link #claim}: the id's entity starts here and recovers nothing (disabled recovery);
 *   <li>{@link #takeClaim}: the journal, asked for the entity's highest sequence number, answers 0
 *       without a query ({@link BatchedJournalDao}).
 * </ol>
 *
 * <p>Dropping an entry is always safe: the entity then recovers as any other, and only pays the
 * reads. So entries expire after {@link #LIFETIME} (a submission not delivered by then may meet
 * a shard that moved away and back, and a task that another node wrote meanwhile), the registry
 * holds at most {@link #CAPACITY} (past that, new ids are not recorded), and the submitter {@link
 * #forget forgets} its id as soon as its submission is answered or failed. What guards the rare
 * race that remains (an entry that lives while its id was written elsewhere) is in
 * {@code task.TaskEntityBehavior}.
 */
public final class MintedIds implements Extension {
  static final Duration LIFETIME = Duration.ofSeconds(10);
  static final int CAPACITY = 10_000;

  private enum Step { MINTED, CLAIMED }

  private record Entry(Step step, long expiresAtNanos) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;

  /** @param nanoTime a monotonic clock in nanoseconds ({@link System#nanoTime} but in tests) */
  MintedIds(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** {@code persistenceId} was just minted here, for an entity that is about to start on this node. */
  public void minted(String persistenceId) {
    if (entries.size() >= CAPACITY) {
      long now = nanoTime.getAsLong();
      entries.values().removeIf(entry -> isExpired(entry, now));
      if (entries.size() >= CAPACITY) return;
    }
    entries.put(persistenceId, new Entry(Step.MINTED, nanoTime.getAsLong() + LIFETIME.toNanos()));
  }

  /**
   * The entity of {@code persistenceId} starts: true if the id was minted here, has not expired
   * and was not claimed before. Any other entry of the id is dropped (a second incarnation must
   * recover in full).
   */
  public boolean claim(String persistenceId) {
    Entry entry = entries.get(persistenceId);
    if (entry == null) return false;
    if (entry.step() != Step.MINTED || isExpired(entry, nanoTime.getAsLong())) {
      entries.remove(persistenceId, entry);
      return false;
    }
    return entries.replace(persistenceId, entry, new Entry(Step.CLAIMED, entry.expiresAtNanos()));
  }

  /** Its submission was answered, or failed: the id's entry, if any, is no longer needed. */
  public void forget(String persistenceId) {
    entries.remove(persistenceId);
  }

  /**
   * The journal is asked for the highest sequence number of {@code persistenceId}: true, and the
   * entry is gone, if an entity claimed it (nothing was written under it, the answer is 0).
   */
  boolean takeClaim(String persistenceId) {
    Entry entry = entries.get(persistenceId);
    if (entry == null || entry.step() != Step.CLAIMED) return false;
    return entries.remove(persistenceId, entry) && !isExpired(entry, nanoTime.getAsLong());
  }

  private static boolean isExpired(Entry entry, long now) {
    return now - entry.expiresAtNanos() >= 0;
  }

  public static MintedIds get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<MintedIds> {
    static final Id INSTANCE = new Id();

    @Override
    public MintedIds createExtension(ActorSystem<?> system) {
      return new MintedIds(System::nanoTime);
    }
  }
}
