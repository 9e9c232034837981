package io.steadfast.task;

import io.steadfast.storage.MintedIds;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;

/**
 * How sharding handles task messages: placed by the hash of the task id, as {@link
 * HashCodeMessageExtractor} places them; sharding envelopes as usual, and the Submit of a
 * just-minted id ({@link TaskEntity.MintedSubmit}) recorded as minted ({@link MintedIds#minted})
 * as it is unwrapped.
 *
 * <p>Sharding unwraps its own envelopes without asking an extractor, hence a message of its own.
 * A shard unwraps a message right before it starts the entity the message is for (a region only
 * asks for the entity and shard ids), so the record is made on the node where the entity starts,
 * whichever node minted the id; the entity then claims it and reads nothing to recover. Before,
 * only an id minted on a shard of the minting node was recorded: under load most ids fall
 * elsewhere ({@link TaskIds#mint}), and each of those entities read its snapshot and highest
 * sequence number, two queries and four round trips to the database.
 */
final class TaskMessageExtractor extends ShardingMessageExtractor<Object, TaskEntity.Command> {
  private final HashCodeMessageExtractor<TaskEntity.Command> placement;
  private final MintedIds mintedIds;

  TaskMessageExtractor(int numberOfShards, MintedIds mintedIds) {
    this.placement = new HashCodeMessageExtractor<>(numberOfShards);
    this.mintedIds = mintedIds;
  }

  /** Null for what is not a task message: sharding then leaves it unhandled. */
  @Override
  public String entityId(Object message) {
    if (message instanceof TaskEntity.MintedSubmit minted) return minted.taskId();
    if (message instanceof ShardingEnvelope<?> envelope) return envelope.entityId();
    return null;
  }

  @Override
  public String shardId(String entityId) {
    return placement.shardId(entityId);
  }

  @Override
  public TaskEntity.Command unwrapMessage(Object message) {
    if (message instanceof TaskEntity.MintedSubmit minted) {
      mintedIds.minted(TaskEntity.persistenceId(minted.taskId()).id());
      return minted.submit();
    }
    return (TaskEntity.Command) ((ShardingEnvelope<?>) message).message();
  }
}
