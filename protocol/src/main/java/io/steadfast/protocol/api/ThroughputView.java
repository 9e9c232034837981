package io.steadfast.protocol.api;

import java.util.List;

/**
 * Tasks that ended, per time bucket, oldest first; every bucket of the window is present (zeros
 * where nothing ended). From the read side, so a moment behind the tasks.
 *
 * @param bucketSeconds each bucket's width
 */
public record ThroughputView(long bucketSeconds, List<Bucket> buckets) {

  /** @param start the bucket's first instant */
  public record Bucket(String start, long succeeded, long deadLettered, long cancelled) {}
}
