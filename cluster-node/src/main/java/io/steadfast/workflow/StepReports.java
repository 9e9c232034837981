package io.steadfast.workflow;

import io.steadfast.protocol.api.TaskView;
import io.steadfast.task.StepLink;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Tells a workflow, wherever it runs, that one of its steps' tasks ended or was redriven: the
 * fast way a step's end reaches its workflow. A tell, so it may be lost with a node; the
 * workflow's own checks make up for that.
 */
public final class StepReports implements StepLink.Reporter {
  private final ClusterSharding sharding;

  public StepReports(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
  }

  @Override
  public void report(StepLink step, TaskView task) {
    sharding.entityRefFor(WorkflowEntity.ENTITY_KEY, step.workflowId())
        .tell(new WorkflowEntity.StepObserved(step.stepName(), task));
  }
}
