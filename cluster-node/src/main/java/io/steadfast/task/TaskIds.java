package io.steadfast.task;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.NoArgGenerator;
import io.steadfast.execution.Bulkheads;
import io.steadfast.storage.MintedIds;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The ids of tasks submitted without an idempotency key, minted by the node that takes the
 * submission. (A key's task has the id derived from it, {@link TaskSpec#idFor}, and a workflow
 * step's from the workflow; neither comes here.)
 *
 * <ul>
 *   <li>Time-ordered (UUID version 7): new rows land at the right edge of the journal's and the
 *       read side's primary-key B-trees instead of all over them.
 *   <li>On a task shard this node hosts, while the type has room here: the submission then needs
 *       no hop to another node and back (two serializations and the remoting), and the new entity
 *       recovers nothing ({@link MintedIds}, {@link TaskEntityBehavior}'s minted mode).
 * </ul>
 */
public final class TaskIds {
  /**
   * How many ids one mint draws at most to find one on a local shard. A node of a three-node
   * cluster hosts about a third of the shards. Draws within one millisecond count up, so their
   * shards mostly step by one and jump now and then: 32 of them all missed in none of 20,000 mints
   * for shards spread as sharding spreads them, and in 1 of 500 with all of a node's shards adjacent.
   */
  static final int MAX_DRAWS = 32;

  private final NoArgGenerator generator;
  private final Function<String, String> shardOf;
  private final Supplier<Set<String>> localShards;
  private final Predicate<String> hasRoom;
  private final MintedIds mintedIds;

  /**
   * @param shardOf the shard of a task id, as sharding computes it
   * @param localShards the task shards hosted here, as last known; none until every shard has a
   *     home (see {@link LocalTaskShards})
   * @param hasRoom whether a new task of a type could start here without waiting
   */
  TaskIds(
      NoArgGenerator generator, Function<String, String> shardOf, Supplier<Set<String>> localShards,
      Predicate<String> hasRoom, MintedIds mintedIds) {
    this.generator = generator;
    this.shardOf = shardOf;
    this.localShards = localShards;
    this.hasRoom = hasRoom;
    this.mintedIds = mintedIds;
  }

  /** Starts watching which task shards this node hosts; call once per node, after {@link TaskEntity#init}. */
  public static TaskIds start(ActorSystem<?> system, Bulkheads bulkheads) {
    var extractor = TaskSharding.messageExtractor(system);
    return new TaskIds(
        Generators.timeBasedEpochGenerator(),
        extractor::shardId,
        LocalTaskShards.start(system)::get,
        type -> bulkheads.waiting(type) == 0,
        MintedIds.get(system));
  }

  /**
   * A new task id for a task of {@code type}: on a shard of this node while the type's bulkhead
   * here has nobody waiting, else (or while no local shard is known) wherever the first draw falls. A busy node must not keep every
   * task it takes for itself: a client that sends everything to one node would otherwise queue it
   * all there while the others idle; past that point, tasks spread over the cluster as before.
   * An id placed here is recorded as minted, so that its entity skips recovery; tell {@link
   * #settled} when its submission is answered or failed.
   */
  public String mint(String type) {
    Set<String> local = localShards.get();
    if (local.isEmpty() || !hasRoom.test(type)) return generator.generate().toString();
    String id = null;
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
      id = generator.generate().toString();
      if (local.contains(shardOf.apply(id))) {
        mintedIds.minted(TaskEntity.persistenceId(id).id());
        return id;
      }
    }
    return id;
  }

  /**
   * The submission of {@code taskId} was answered, or failed: its entity no longer needs to know
   * that it was minted. Nothing for an id not minted here.
   */
  public void settled(String taskId) {
    mintedIds.forget(TaskEntity.persistenceId(taskId).id());
  }
}
