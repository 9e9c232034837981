package io.steadfast.protocol.api;

/**
 * A task type's rate limit as the API shows it.
 *
 * @param perMs the limit's period: at most {@code permits} attempts start every {@code perMs}
 * @param hostedBy the node the type's limiter runs on
 * @param leased permits the limiter handed out since it started on that node
 * @param thisNode the answering node's pool
 */
public record RateLimitView(
    String type,
    int permits,
    long perMs,
    int burst,
    double permitsPerSecond,
    String hostedBy,
    long leased,
    ThisNode thisNode) {

  /**
   * @param waiting tasks waiting for a permit on this node
   * @param held permits this node holds, unused
   * @param leased permits this node leased since it started
   */
  public record ThisNode(int waiting, int held, long leased) {}
}
