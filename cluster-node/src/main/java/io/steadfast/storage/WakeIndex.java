package io.steadfast.storage;

import java.util.Objects;
import java.util.Set;
import java.util.function.ToIntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The wake-up index: which entities of one kind are open (must be running somewhere) and in which
 * shard, kept in the table {@value #TABLE} by {@link BatchedJournalDao} in the same transaction as
 * their events, so that the index and the journal never disagree: a write that is rolled back
 * leaves no row, and a committed event that opens or ends an entity has its row written or
 * removed with it.
 *
 * <p>It replaces sharding's remember-entities for those entities. Remembering wrote, per entity,
 * an extra journal row on start and another on stop (each shard's batch of EntitiesStarted and
 * EntitiesStopped), and kept a store actor per shard busy: about 14 % of the cluster's CPU per
 * task. Here an entity costs one upsert when it opens and one delete when it ends, in a
 * transaction the journal makes anyway; a waker on each node reads the index when its node starts
 * hosting a shard, and starts that shard's open entities.
 *
 * <p>Storage knows nothing of what it indexes: the entity's package registers, before its entities
 * can write, which persistence ids it covers, which event manifests open and which close an entry,
 * and how to compute an entity's shard. Per system (an {@link Extension}), so that the journal's
 * DAO finds it through the actor system it is given.
 */
public final class WakeIndex implements Extension {
  /** The index table: persistence id (primary key) and shard (indexed). */
  public static final String TABLE = "task_open";

  /**
   * What the index covers.
   *
   * @param persistenceIdPrefix the persistence ids indexed (e.g. {@code Task|}); others are ignored
   * @param opening event manifests ({@code event_ser_manifest}) after which the entity is open: an
   *     upsert
   * @param closing event manifests after which the entity is done for good: a delete (of nothing,
   *     if it has no entry)
   * @param shardOf the shard of a persistence id with the prefix, exactly as sharding computes it
   */
  public record Registration(
      String persistenceIdPrefix, Set<String> opening, Set<String> closing, ToIntFunction<String> shardOf) {
    public Registration {
      Objects.requireNonNull(persistenceIdPrefix);
      opening = Set.copyOf(opening);
      closing = Set.copyOf(closing);
      Objects.requireNonNull(shardOf);
      for (String manifest : opening) {
        if (closing.contains(manifest)) throw new IllegalArgumentException(manifest + " both opens and closes");
      }
    }

    /** An entry is written for this event, or removed: which one, or null when neither. */
    Boolean opens(String persistenceId, String manifest) {
      if (!persistenceId.startsWith(persistenceIdPrefix)) return null;
      if (opening.contains(manifest)) return Boolean.TRUE;
      if (closing.contains(manifest)) return Boolean.FALSE;
      return null;
    }
  }

  private volatile Registration registration;

  WakeIndex() {}

  /**
   * Called once per system, before any entity it covers can write (a write before it would not
   * be indexed). Registering the same prefix again replaces the registration.
   */
  public void register(Registration newRegistration) {
    Registration current = registration;
    if (current != null && !current.persistenceIdPrefix().equals(newRegistration.persistenceIdPrefix())) {
      throw new IllegalStateException("the wake-up index already covers " + current.persistenceIdPrefix()
          + "; it has one table, for one kind of entity");
    }
    registration = newRegistration;
  }

  /** The registration, or null before there is one (nothing is indexed then). */
  public Registration registration() {
    return registration;
  }

  /** Writes an entry, or rewrites it. Parameters: persistence id, shard. */
  static String upsertSql(DatabaseKind kind, String table) {
    return switch (kind) {
      case H2 -> "MERGE INTO " + table + " (\"persistence_id\", \"shard\") KEY (\"persistence_id\") VALUES (?, ?)";
      case POSTGRES -> "INSERT INTO " + table + " (\"persistence_id\", \"shard\") VALUES (?, ?)"
          + " ON CONFLICT (\"persistence_id\") DO UPDATE SET \"shard\" = EXCLUDED.\"shard\"";
    };
  }

  /** Removes an entry, if there is one. Parameter: persistence id. */
  static String deleteSql(String table) {
    return "DELETE FROM " + table + " WHERE \"persistence_id\" = ?";
  }

  public static WakeIndex get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<WakeIndex> {
    static final Id INSTANCE = new Id();

    @Override
    public WakeIndex createExtension(ActorSystem<?> system) {
      return new WakeIndex();
    }
  }
}
