package io.steadfast.handlers;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;

/**
 * The user's code for a kind of task. Implementations are found with {@link java.util.ServiceLoader}
 * (list them in {@code META-INF/services/io.steadfast.handlers.TaskHandler}) and bound to task
 * types by name in {@code steadfast.task-types.<type>.handler}.
 *
 * <p>{@link #execute} runs on a thread of its task type's bulkhead pool, never on an actor thread,
 * so it may block: the type's threads are its own, and a blocked one holds up no other type. It is
 * called at least once per task and may be called again for the same task (after a failure, a
 * timeout or a lost node): make its effects idempotent.
 */
public interface TaskHandler {

  /** The name task types use to refer to this handler. */
  String name();

  /**
   * Called once at start-up, before any attempt, with {@code steadfast.handlers.<name>} (an
   * empty config when that key is absent). Throw {@link com.typesafe.config.ConfigException}
   * naming the key for a bad value.
   */
  default void configure(Config config) {}

  /**
   * Runs one attempt.
   *
   * @return the task's result, shown on the task view (may be null)
   * @throws RetryableTaskException for a failure another attempt may cure
   * @throws PermanentTaskException for a failure no attempt will cure (the task is dead-lettered)
   * @throws RateLimitedException to come back later without spending an attempt
   * @throws Exception anything else counts as retryable
   */
  JsonNode execute(TaskContext context) throws Exception;
}
