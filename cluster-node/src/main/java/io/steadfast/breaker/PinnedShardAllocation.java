package io.steadfast.breaker;

import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Where the breakers' shards live: each on the region that has the fewest when it is first
 * needed, and there for as long as that node lives (a dead node's shards are allocated again).
 *
 * <p>Never rebalanced: a shard handed off for balance drops the messages buffered for it, and a
 * breaker's messages are its attempt results, sent without an answer. A lost failure report would
 * leave a breaker short of its threshold; and at start-up, while the other nodes' regions are still
 * registering, most breakers' shards land on the first node up and would then be moved one every
 * 10 s, for a minute, just while the first attempts report.
 * There is one small breaker per task type, so their balance is not worth that.
 */
final class PinnedShardAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {

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
