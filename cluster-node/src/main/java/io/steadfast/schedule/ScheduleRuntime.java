package io.steadfast.schedule;

import io.steadfast.task.TaskEntity;
import io.steadfast.task.TaskSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * What a schedule needs from its node: the tasks it submits to, time (injected so that tests
 * control it), and how late a tick may still fire.
 *
 * @param onTimeWindow due ticks that fell more than this before the schedule started were missed
 *     (the catch-up policy decides); later ones are only late, and the latest of them fires
 * @param nodeName shown as the node the schedule runs on
 */
public record ScheduleRuntime(Tasks tasks, Clock clock, Duration onTimeWindow, String nodeName) {
  /** How many upcoming ticks a view shows. */
  static final int NEXT_FIRE_TIMES = 5;
  /** A tick whose task did not answer is tried again (with the same key) after this. */
  static final Duration RETRY_SUBMIT_AFTER = Duration.ofSeconds(1);

  /** The task entities, wherever they run. */
  public interface Tasks {
    CompletionStage<TaskEntity.SubmitReply> submit(String taskId, TaskSpec spec);

    CompletionStage<TaskEntity.GetReply> get(String taskId);
  }
}
