package io.steadfast.execution;

import java.util.Set;

/**
 * Decides whether an exception that is neither a {@code RetryableTaskException} nor a {@code
 * PermanentTaskException} is worth another attempt, from a task type's configured class lists.
 * The most specific listed class wins: walking up from the thrown class, the first class named
 * in either list decides. Nothing listed: retryable (a bug fixed by a redeploy deserves another
 * attempt).
 *
 * @param retryOn fully qualified class names that mean "try again"
 * @param abortOn fully qualified class names that mean "give up now"
 */
public record ErrorClassifier(Set<String> retryOn, Set<String> abortOn) {
  public static final ErrorClassifier DEFAULT = new ErrorClassifier(Set.of(), Set.of());

  public ErrorClassifier {
    retryOn = Set.copyOf(retryOn);
    abortOn = Set.copyOf(abortOn);
  }

  public boolean isRetryable(Throwable error) {
    for (Class<?> type = error.getClass(); type != null; type = type.getSuperclass()) {
      if (abortOn.contains(type.getName())) return false;
      if (retryOn.contains(type.getName())) return true;
    }
    return true;
  }
}
