import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it, vi } from 'vitest';
import { workflowTasks } from '../../functions/workflow';
import { resourcesOfType, synth } from './synth';

// Timeouts unlike the default, one per task, so the test tells the list's value from any other.
vi.mock('../../functions/workflow', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/workflow')>();
  return {
    ...original,
    workflowTasks: original.workflowTasks.map((task, index) => ({ ...task, timeoutSeconds: 21 + index })),
  };
});

describe('the workflow task functions', () => {
  it('each time out after the seconds functions/workflow.ts gives its task, which the local runtime uses too', () => {
    // Prepare
    const { stacks, templates } = synth();
    const functions = resourcesOfType(templates.stateless, 'AWS::Lambda::Function');

    for (const task of workflowTasks) {
      const fn = stacks.stateless.functions.get(task.handler)?.function.node.defaultChild as CfnElement;

      // Act
      const timeout = functions[stacks.stateless.getLogicalId(fn)]?.Properties.Timeout;

      // Assess
      expect(timeout, task.handler).toBe(task.timeoutSeconds);
    }
    expect(new Set(workflowTasks.map((task) => task.timeoutSeconds)).size).toBe(workflowTasks.length);
  });
});
