package io.steadfast.protocol;

import java.util.List;

/**
 * A retry policy that cannot be used, with every reason at once so that a caller can fix them
 * all in one go. Unchecked: it reports bad input, which the caller turns into a 400 or a config
 * error, adding its own context (such as the {@code retryPolicy.} prefix).
 */
public class InvalidRetryPolicyException extends IllegalArgumentException {

  private final List<String> problems;

  /** @param problems what is wrong, one message each; not empty */
  public InvalidRetryPolicyException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /** What is wrong, one message each, in the order found. */
  public List<String> problems() {
    return problems;
  }
}
