package io.steadfast.workflow;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * {@code steadfast.workflow}: see steadfast.conf.
 *
 * @param askTimeout how long a check waits for a step's task to answer
 */
public record WorkflowSettings(
    int maxSteps, Duration checkStepsEvery, Duration checkDeadLetteredEvery, Duration passivateEndedAfter,
    Duration askTimeout) {
  static final String PATH = "steadfast.workflow";

  public static WorkflowSettings fromConfig(Config config) {
    Config workflow = config.getConfig(PATH);
    int maxSteps = workflow.getInt("max-steps");
    if (maxSteps < 1 || maxSteps > 1000) {
      throw new ConfigException.BadValue(PATH + ".max-steps", "must be between 1 and 1000 but was " + maxSteps);
    }
    return new WorkflowSettings(
        maxSteps, positive(workflow, "check-steps-every"), positive(workflow, "check-dead-lettered-every"),
        positive(workflow, "passivate-ended-after"), config.getDuration("steadfast.http.ask-timeout"));
  }

  private static Duration positive(Config workflow, String key) {
    Duration value = workflow.getDuration(key);
    if (value.isNegative() || value.isZero()) {
      throw new ConfigException.BadValue(PATH + "." + key, "must be positive but was " + value);
    }
    return value;
  }
}
