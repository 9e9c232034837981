package io.steadfast.task;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.NoArgGenerator;
import io.steadfast.execution.Bulkheads;
import io.steadfast.storage.MintedIds;
import java.util.OptionalInt;
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
 *   <li>On a task shard this node hosts, unless this node is far busier with the type than
 *       another member ({@link #keepsHere}): the submission then needs no hop to another node and
 *       back (two serializations and the remoting), and the new entity recovers nothing ({@link
 *       MintedIds}, {@link TaskEntityBehavior}'s minted mode). Under a load that clients spread
 *       over the members, each keeps its own tasks; a member that takes far more than its share
 *       passes the excess to the others' shards.
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
  private final Predicate<String> keepsHere;
  private final MintedIds mintedIds;

  /**
   * @param shardOf the shard of a task id, as sharding computes it
   * @param localShards the task shards hosted here, as last known; none until every shard has a
   *     home (see {@link LocalTaskShards})
   * @param keepsHere whether a new task of a type should stay on this node ({@link #keepsHere})
   */
  TaskIds(
      NoArgGenerator generator, Function<String, String> shardOf, Supplier<Set<String>> localShards,
      Predicate<String> keepsHere, MintedIds mintedIds) {
    this.generator = generator;
    this.shardOf = shardOf;
    this.localShards = localShards;
    this.keepsHere = keepsHere;
    this.mintedIds = mintedIds;
  }

  /**
   * Starts watching which task shards this node hosts; call once per node, after {@link
   * TaskEntity#init}.
   *
   * @param leastWaitingElsewhere the fewest attempts of a type that wait on another member, as
   *     they last said; empty while none said
   */
  public static TaskIds start(
      ActorSystem<?> system, Bulkheads bulkheads, Function<String, OptionalInt> leastWaitingElsewhere) {
    var extractor = TaskSharding.messageExtractor(system);
    return new TaskIds(
        Generators.timeBasedEpochGenerator(),
        extractor::shardId,
        LocalTaskShards.start(system)::get,
        type -> keepsHere(bulkheads.waiting(type), bulkheads.concurrency(type), leastWaitingElsewhere.apply(type)),
        MintedIds.get(system));
  }

  /**
   * How many times as many attempts may wait here as on the least busy other member. Under a load
   * that clients spread evenly, each member's queue jumps by a whole batch whenever one arrives,
   * and the others' figures are up to an interval old: with a margin of one bulkhead's worth alone,
   * 30-60 % of a batched benchmark's tasks still went to other members; with this factor, 7-13 %.
   */
  static final int BUSIER_FACTOR = 4;

  /**
   * Whether a new task stays here: while no more of its type's attempts wait here than {@link
   * #BUSIER_FACTOR} times as many as on the least busy other member, plus one bulkhead's worth of
   * slots. With no word from any other member (alone, or none answered yet), only while nothing
   * waits here.
   */
  static boolean keepsHere(int waitingHere, int slotsHere, OptionalInt leastWaitingElsewhere) {
    if (leastWaitingElsewhere.isEmpty()) return waitingHere == 0;
    return waitingHere <= BUSIER_FACTOR * leastWaitingElsewhere.getAsInt() + slotsHere;
  }

  /**
   * A new task id for a task of {@code type}: on a shard of this node while it {@link #keepsHere
   * keeps} the type's tasks, else (or while no local shard is known) wherever the first draw falls.
   * A busy node must not keep every task it takes for itself: a client that sends everything to
   * one node would otherwise queue it all there while the others idle.
   * An id placed here is recorded as minted, so that its entity skips recovery; tell {@link
   * #settled} when its submission is answered or failed.
   */
  public String mint(String type) {
    Set<String> local = localShards.get();
    if (local.isEmpty() || !keepsHere.test(type)) return generator.generate().toString();
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
