package io.steadfast.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.cluster.ddata.ReadWriteAggregator;
import org.apache.pekko.cluster.sharding.ClusterShardingSettings;
import org.junit.jupiter.api.Test;

/**
 * How many nodes a sharding coordinator's state update and read need, worked out as Pekko's
 * DDataShardCoordinator does from the node's shipped configuration. A quorum of every node lets
 * one dead member that is not yet removed stall every shard allocation for the whole
 * updating-state-timeout.
 */
class CoordinatorQuorumTest {
  private static final Config CONFIG = ConfigFactory.load();
  private static final ClusterShardingSettings.TuningParameters TUNING =
      ClusterShardingSettings.apply(CONFIG.getConfig("pekko.cluster.sharding")).tuningParameters();
  private static final int MIN_CAP = CONFIG.getInt("pekko.cluster.sharding.distributed-data.majority-min-cap");

  @Test
  void aThreeNodeClusterUpdatesAndReadsWithTwoSoOneDeadMemberCannotStallIt() {
    assertEquals(2, quorum(3, TUNING.coordinatorStateWriteMajorityPlus()), "write quorum of 3 nodes");
    assertEquals(2, quorum(3, TUNING.coordinatorStateReadMajorityPlus()), "read quorum of 3 nodes");
  }

  @Test
  void aNewCoordinatorReadsFromAtLeastOneNodeEveryUpdateReached() {
    for (int nodes = 1; nodes <= 9; nodes++) {
      int write = quorum(nodes, TUNING.coordinatorStateWriteMajorityPlus());
      int read = quorum(nodes, TUNING.coordinatorStateReadMajorityPlus());
      assertTrue(write + read > nodes, nodes + " nodes: write " + write + " + read " + read);
    }
  }

  /** Pekko takes Int.MaxValue ("all") as every node, anything else as a majority plus that many. */
  private static int quorum(int nodes, int majorityPlus) {
    return majorityPlus == Integer.MAX_VALUE ? nodes : ReadWriteAggregator.calculateMajority(MIN_CAP, nodes, majorityPlus);
  }
}
