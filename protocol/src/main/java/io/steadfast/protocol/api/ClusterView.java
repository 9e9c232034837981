package io.steadfast.protocol.api;

import io.steadfast.protocol.CborSerializable;
import java.util.List;
import java.util.Map;

/**
 * The cluster as one node sees it: its members, the load each reported, and the recent changes
 * of membership this node saw.
 *
 * @param node the node that answered ({@code host:port}, its remoting address)
 * @param leader the member acting as leader, or null while there is none
 * @param members every member this node knows, oldest first
 * @param recentChanges membership changes this node saw since it started, newest first (a
 *     bounded number)
 */
public record ClusterView(String node, String leader, List<Member> members, List<Change> recentChanges) {

  /**
   * One member.
   *
   * @param node its remoting address ({@code host:port}), the name attempts record
   * @param status joining, weaklyUp, up, leaving, exiting, down or removed (Pekko's member status)
   * @param reachable false while this node's failure detector considers the member unreachable
   * @param load what the member reported, or null when it did not answer in time
   */
  public record Member(String node, String status, boolean reachable, boolean self, boolean leader, boolean oldest,
      NodeLoad load) {}

  /**
   * What a node runs now.
   *
   * @param runningAttempts attempts holding a bulkhead slot on the node, all types together
   * @param bulkheads each task type's bulkhead on the node
   */
  public record NodeLoad(int runningAttempts, Map<String, Bulkhead> bulkheads) implements CborSerializable {}

  /** One task type's bulkhead on one node: its slots, those in use and the attempts waiting for one. */
  public record Bulkhead(int concurrency, int inUse, int waiting) implements CborSerializable {}

  /**
   * @param change up, unreachable, reachable, leaving, exiting, down or removed
   */
  public record Change(String at, String node, String change) {}
}
