package io.steadfast.workflow;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import io.steadfast.protocol.CborSerializable;
import io.steadfast.protocol.TaskError;
import io.steadfast.protocol.TaskStatus;
import io.steadfast.protocol.WorkflowStatus;
import io.steadfast.protocol.api.TaskView;
import io.steadfast.protocol.api.WorkflowView;
import io.steadfast.task.TaskEntity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One workflow, sharded by workflow id and event sourced, like a task. It runs nothing itself:
 * each step runs as an ordinary task whose id is derived from the workflow's id and the step's
 * name ({@link WorkflowGraph#taskIdFor}), submitted once every step it depends on has succeeded.
 *
 * <p>How a step's end reaches the workflow, at least once, and is applied once: its task tells
 * the workflow when it ends (fast, best effort: {@link StepReports}); and the workflow, after it
 * recovers and then every few seconds while steps run, submits each running step again, which
 * for an existing task is only a read of it ({@code AlreadySubmitted} carries the task). So a
 * word lost with a node costs seconds, never a step. The step's recorded phase decides whether
 * what was heard changes anything, so hearing an end twice applies it once.
 *
 * <p>Here is what the entity speaks and keeps; {@link WorkflowRules} holds its rules, {@link
 * WorkflowEntityBehavior} turns commands into events and effects.
 */
public final class WorkflowEntity {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Workflow");

  /** Every workflow event carries this tag: the read side (listing, counts) follows it. */
  public static final String TAG = "workflow";

  private WorkflowEntity() {}

  public static void init(ActorSystem<?> system, WorkflowSettings settings) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Function<String, RecipientRef<TaskEntity.Command>> tasks =
        taskId -> sharding.entityRefFor(TaskEntity.ENTITY_KEY, taskId);
    sharding.init(Entity.of(ENTITY_KEY, entity -> create(entity.getEntityId(), settings, tasks, entity.getShard())));
  }

  /**
   * @param tasks a step's task by task id, wherever it runs (sharding; in tests a probe)
   * @param shard where passivation is asked for; in tests any probe
   */
  public static Behavior<Command> create(
      String workflowId, WorkflowSettings settings, Function<String, RecipientRef<TaskEntity.Command>> tasks,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new WorkflowEntityBehavior(workflowId, context, timers, settings, tasks, shard)));
  }

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Accept a new workflow; a second Submit with the same id is an idempotent resubmission. */
  public record Submit(WorkflowSpec spec, ActorRef<SubmitReply> replyTo) implements Command {}

  public record Get(ActorRef<GetReply> replyTo) implements Command {}

  /** Steps not started never start; running ones are cancelled. */
  public record Cancel(ActorRef<CancelReply> replyTo) implements Command {}

  /** What a step's task is now: from the task itself as it ends, or an answer to the workflow's own check. */
  public record StepObserved(String step, TaskView task) implements Command {}

  /** Time to check the running steps (and, when {@code deadLettered}, the dead-lettered ones). */
  record CheckSteps(boolean deadLettered) implements Command {}

  /** A step's task did not answer a check; the next check asks again. */
  record StepUnanswered(String step) implements Command {}

  /** An ended workflow has not been read for a while: it may leave memory. */
  enum Idle implements Command {
    INSTANCE
  }

  // ---------------------------------------------------------------- replies

  public sealed interface SubmitReply extends CborSerializable {}

  public record Accepted(WorkflowView workflow) implements SubmitReply {}

  public record AlreadySubmitted(WorkflowView workflow) implements SubmitReply {}

  public record IdempotencyConflict(WorkflowView existing) implements SubmitReply {}

  public sealed interface GetReply extends CborSerializable {}

  public record Found(WorkflowView workflow) implements GetReply {}

  public record NotFound(String workflowId) implements GetReply {}

  public sealed interface CancelReply extends CborSerializable {}

  public record CancelAccepted(WorkflowView workflow) implements CancelReply {}

  /** It had already succeeded or been cancelled. */
  public record CancelRefused(WorkflowView workflow) implements CancelReply {}

  public record CancelNotFound(String workflowId) implements CancelReply {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {}

  public record WorkflowSubmitted(WorkflowSpec spec, Instant at) implements Event {}

  /** These steps' tasks are submitted from now on (again after a crash, until they answer). */
  public record StepsStarted(List<String> steps, Instant at) implements Event {}

  /**
   * A step's task ended.
   *
   * @param status SUCCEEDED, DEAD_LETTERED or CANCELLED
   * @param attempts the attempts its task had made, and the most it could make
   * @param taskUpdatedAt the task's own time of that end: a later change of the task (a
   *     redrive) is recognised by a later time
   */
  public record StepEnded(
      String step, TaskStatus status, JsonNode result, TaskError error, int attempts, int maxAttempts,
      Instant taskUpdatedAt, Instant at)
      implements Event {}

  /** A dead-lettered step's task was redriven: it runs again. */
  public record StepResumed(String step, Instant at) implements Event {}

  public record WorkflowCancelled(Instant at) implements Event {}

  /** The workflow's status changed (it follows from the steps; recorded for the read side). */
  public record StatusChanged(WorkflowStatus status, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  /** Where a step is, as far as the workflow has recorded. */
  public enum Phase {
    /** Not submitted: its dependencies have not all succeeded, or the workflow was cancelled first. */
    WAITING,
    /** Its task is submitted and has not ended. */
    STARTED,
    SUCCEEDED,
    DEAD_LETTERED,
    CANCELLED;

    boolean isEnded() {
      return this == SUCCEEDED || this == DEAD_LETTERED || this == CANCELLED;
    }
  }

  /**
   * One step as recorded.
   *
   * @param attempts its task's attempts and their limit as of its last recorded end (0 before)
   * @param taskUpdatedAt the task's time of the end recorded last, or null
   */
  public record Step(
      Phase phase, JsonNode result, TaskError error, int attempts, int maxAttempts, Instant startedAt,
      Instant endedAt, Instant taskUpdatedAt)
      implements CborSerializable {
    static final Step WAITING = new Step(Phase.WAITING, null, null, 0, 0, null, null, null);
  }

  /**
   * Immutable; {@code spec == null} until submitted. Events change it by {@link WorkflowRules#apply}.
   *
   * @param steps by name, in the spec's order
   * @param endedAt when the status last left RUNNING; null while RUNNING
   */
  public record State(
      String workflowId,
      WorkflowSpec spec,
      Map<String, Step> steps,
      boolean cancelled,
      WorkflowStatus status,
      Instant createdAt,
      Instant updatedAt,
      Instant endedAt)
      implements CborSerializable {

    public State {
      steps = steps == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(steps));
    }

    static State empty(String workflowId) {
      return new State(workflowId, null, Map.of(), false, null, null, null, null);
    }

    @JsonIgnore
    public boolean isSubmitted() {
      return spec != null;
    }

    public Step step(String name) {
      return steps.get(name);
    }

    /** Steps in {@code phase}, in the spec's order. */
    public List<String> stepsIn(Phase phase) {
      return steps.entrySet().stream().filter(e -> e.getValue().phase() == phase).map(Map.Entry::getKey).toList();
    }

    /** Nothing more will happen by itself: it succeeded, or it was cancelled and every step stopped. */
    @JsonIgnore
    public boolean isSettled() {
      return status == WorkflowStatus.SUCCEEDED || (cancelled && stepsIn(Phase.STARTED).isEmpty());
    }
  }
}
