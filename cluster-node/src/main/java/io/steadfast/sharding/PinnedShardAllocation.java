package io.steadfast.sharding;

import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Where the shards of small, long-lived entities live: each on the region that has the fewest
 * when it is first needed, and there for as long as that node lives (a dead node's shards are
 * allocated again).
 *
 * <p>Never rebalanced, because a move for balance costs these entities more than balance gains:
 * a shard handed off drops the messages buffered for it, and a circuit breaker's messages are its
 * attempt results, sent without an answer (a lost failure report would leave it short of its
 * threshold); a schedule stops firing for as long as its hand-off takes. At start-up, while the
 * other nodes' regions are still registering, most shards land on the first node up and would
 * then be moved one every 10 s, for a minute. There are few of them, so their balance is not worth
 * that.
 */
public final class PinnedShardAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
    ActorRef fewest = currentShardAllocations.entrySet().stream()
        .min(Comparator.comparingInt(allocation -> allocation.getValue().size()))
        .map(Map.Entry::getKey)
        .orElse(requester);
    return Futures.successful(fewest);
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> currentShardAllocations, Set<String> rebalanceInProgress) {
    return Futures.successful(Set.of());
  }
}
