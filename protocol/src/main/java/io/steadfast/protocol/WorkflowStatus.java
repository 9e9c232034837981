package io.steadfast.protocol;

/**
 * Where a workflow is. FAILED (a step is dead-lettered) is an end that can be left: redriving the
 * dead letter runs the workflow on. SUCCEEDED and CANCELLED are final.
 */
public enum WorkflowStatus {
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED
}
