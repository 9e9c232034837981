package io.steadfast.protocol;

/**
 * A failure kept as data, never as a {@code Throwable}: what kind of error, what it said, and
 * whether another attempt may help.
 *
 * @param type a short classifier, e.g. the exception's simple class name or {@code NODE_LOST}
 */
public record TaskError(String type, String message, boolean retryable) implements CborSerializable {

  public static TaskError nodeLost(String node) {
    return new TaskError("NODE_LOST", "the node running this attempt (" + node + ") was lost", true);
  }

  public static TaskError timedOut(long timeoutMs) {
    return new TaskError("TIMED_OUT", "the attempt did not finish within " + timeoutMs + " ms", true);
  }
}
