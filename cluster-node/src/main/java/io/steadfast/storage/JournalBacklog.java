package io.steadfast.storage;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * How many writes this node's journal has taken and not yet written, against the size of its
 * queue ({@code jdbc-journal.bufferSize}). The plugin fails a write offered while that many wait
 * beyond the batch it gathers ({@code batchSize} rows) and those being written ({@code
 * parallelism}): that write is not acknowledged (its entity restarts; a submission gets no answer
 * and its client a 503), so nothing acknowledged is lost, but the node should stop taking new
 * work before that. Counted by {@link BatchedJournalDao}; read by admission control.
 */
public final class JournalBacklog implements Extension {
  private final AtomicInteger queued = new AtomicInteger();
  private final int capacity;

  JournalBacklog(int capacity) {
    this.capacity = capacity;
  }

  /** Writes offered to the journal queue and not yet written (or failed). */
  public int queued() {
    return queued.get();
  }

  /** The journal queue's size: {@code jdbc-journal.bufferSize}. */
  public int capacity() {
    return capacity;
  }

  void offered() {
    queued.incrementAndGet();
  }

  void done() {
    queued.decrementAndGet();
  }

  public static JournalBacklog get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<JournalBacklog> {
    static final Id INSTANCE = new Id();

    @Override
    public JournalBacklog createExtension(ActorSystem<?> system) {
      return new JournalBacklog(system.settings().config().getInt("jdbc-journal.bufferSize"));
    }
  }
}
