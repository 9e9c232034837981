package io.steadfast.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.UUID;

/**
 * What was asked for at submission, resolved against the task type's configuration, so that a
 * task keeps the policy it was accepted with even if the configuration changes later.
 *
 * @param payload never null (an empty object when none was given)
 * @param idempotencyKey may be null
 * @param priority 0 (lowest) to 9 (most urgent): orders the wait for a bulkhead slot
 * @param runAt no attempt before this time; null to run at once
 * @param step the workflow step this task is, or null for a task submitted on its own
 */
public record TaskSpec(
    String type,
    JsonNode payload,
    String idempotencyKey,
    RetryPolicy retryPolicy,
    long attemptTimeoutMs,
    int priority,
    Instant runAt,
    StepLink step)
    implements CborSerializable {

  /** A task submitted on its own, not as a workflow's step. */
  public TaskSpec(
      String type, JsonNode payload, String idempotencyKey, RetryPolicy retryPolicy, long attemptTimeoutMs,
      int priority, Instant runAt) {
    this(type, payload, idempotencyKey, retryPolicy, attemptTimeoutMs, priority, runAt, null);
  }

  public static final int MIN_PRIORITY = 0;
  public static final int MAX_PRIORITY = 9;
  public static final int DEFAULT_PRIORITY = 5;

  /** The type shown for a task whose submission the journal lost: nothing of it is known. */
  public static final String LOST_TYPE = "unknown";

  /** Stands in for a submission the journal lost, so that the task can still be shown. */
  static TaskSpec lost() {
    return new TaskSpec(
        LOST_TYPE, JsonNodeFactory.instance.objectNode(), null,
        new RetryPolicy(RetryPolicy.Strategy.FIXED, 0, 1.0, 0, RetryPolicy.Jitter.NONE, 0, 1), 0, DEFAULT_PRIORITY,
        null);
  }

  /** Numbers compare by value: 1, 1.0 and 1e0 are the same payload after a round trip. */
  private static final Comparator<JsonNode> SAME_VALUE =
      (a, b) -> {
        if (a.equals(b)) return 0;
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue());
        return 1;
      };

  /**
   * The id of the task submitted with {@code idempotencyKey}: derived from the key, so that two
   * submissions racing on different nodes meet in the same entity, which decides between them.
   */
  public static String idFor(String idempotencyKey) {
    return UUID.nameUUIDFromBytes(("idempotency-key:" + idempotencyKey).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** The same task under another retry policy (a redrive may bring one). */
  public TaskSpec withRetryPolicy(RetryPolicy policy) {
    return new TaskSpec(type, payload, idempotencyKey, policy, attemptTimeoutMs, priority, runAt, step);
  }

  /** The same task as step {@code link} of a workflow. */
  public TaskSpec asStep(StepLink link) {
    return new TaskSpec(type, payload, idempotencyKey, retryPolicy, attemptTimeoutMs, priority, runAt, link);
  }

  /**
   * Whether {@code other} asks for the same work: the test behind idempotent resubmission. The
   * run-at time is left out: a retried "in 10 minutes" request computes a later time.
   */
  public boolean sameRequestAs(TaskSpec other) {
    return Objects.equals(type, other.type)
        && payload.equals(SAME_VALUE, other.payload)
        && Objects.equals(retryPolicy, other.retryPolicy)
        && attemptTimeoutMs == other.attemptTimeoutMs
        && priority == other.priority;
  }
}
