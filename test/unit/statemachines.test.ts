import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { stateMachines, workflowTasks } from '../../functions/workflow';

const root = new URL('../../', import.meta.url);

describe.each(stateMachines)('the state machine $name', ({ definitionFile }) => {
  const text = readFileSync(new URL(definitionFile, root), 'utf8');

  it('is valid Amazon States Language with its placeholders in place', () => {
    // Act
    const result = aslValidator(JSON.parse(text), { checkArn: true, checkPaths: true });
    // Assess
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });

  it('names only task functions that the task list defines, so CDK and the local runtime can substitute them', () => {
    // Act
    const placeholders = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map(([, name]) => name));
    // Assess
    expect([...placeholders].sort()).toEqual(workflowTasks.map((task) => task.placeholder).sort());
  });
});
