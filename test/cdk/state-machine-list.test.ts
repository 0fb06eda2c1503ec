import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { handlerNeeds } from '../../lib/handler-needs';
import { resourcesOfType, synth } from './synth';

// One more state machine, as delivery will be: listed in functions/workflow.ts with its ARN setting, and
// granted in lib/handler-needs.ts, with no change to the stack code.
vi.mock('../../functions/workflow', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/workflow')>();
  return {
    ...original,
    stateMachines: [
      ...original.stateMachines,
      {
        name: 'delivery',
        definitionFile: 'statemachines/access-request.asl.json',
        arnSetting: 'DELIVERY_STATE_MACHINE_ARN',
      },
    ],
  };
});

const arnOf = (value: unknown) => JSON.stringify(value);

describe('a state machine added to functions/workflow.ts', () => {
  let synthesized: ReturnType<typeof synth>;
  beforeAll(() => {
    (handlerNeeds['scheduled/reconcile'] as { workflow: Record<string, string[]> }).workflow.delivery = [
      'StartExecution',
    ];
    synthesized = synth();
  });

  it('is deployed under its own name, with its own log group', () => {
    // Act
    const machines = Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::StepFunctions::StateMachine'),
    ).map((machine) => machine.Properties.StateMachineName);
    const logGroups = Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::Logs::LogGroup'),
    ).map((logGroup) => logGroup.Properties.LogGroupName);

    // Assess
    expect(machines).toEqual([
      'Tollgate-Stateless-access-request',
      'Tollgate-Stateless-policy-simulation',
      'Tollgate-Stateless-grant-revocation',
      'Tollgate-Stateless-audit-export',
      'Tollgate-Stateless-delivery',
    ]);
    expect(logGroups).toContain('/aws/vendedlogs/states/Tollgate-Stateless-delivery');
  });

  it('reaches every function in the setting the list names, beside the other machines', () => {
    // Act
    const settings = Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::Lambda::Function'),
    ).map((fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables);

    // Assess
    expect(settings.length).toBeGreaterThan(0);
    for (const variables of settings) {
      expect(arnOf(variables.DELIVERY_STATE_MACHINE_ARN)).toMatch(
        /:stateMachine:Tollgate-Stateless-delivery"\]\]\}$/,
      );
      expect(arnOf(variables.REVOCATION_STATE_MACHINE_ARN)).toMatch(
        /:stateMachine:Tollgate-Stateless-grant-revocation"\]\]\}$/,
      );
      expect(arnOf(variables.STATE_MACHINE_ARN)).toMatch(
        /:stateMachine:Tollgate-Stateless-access-request"\]\]\}$/,
      );
    }
  });

  it('is granted to the handlers lib/handler-needs.ts names for it, and only on it', () => {
    // Prepare
    const { stacks, templates } = synthesized;
    const role = stacks.stateless.getLogicalId(
      stacks.stateless.functions.get('scheduled/reconcile')?.role.node.defaultChild as CfnElement,
    );

    // Act
    const starting = Object.values(resourcesOfType(templates.stateless, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
            .Statement,
      )
      .filter((statement) => JSON.stringify(statement.Action).includes('states:StartExecution'));

    // Assess
    expect(starting.map((statement) => arnOf(statement.Resource).split(':stateMachine:')[1])).toEqual([
      'Tollgate-Stateless-access-request"]]}',
      'Tollgate-Stateless-delivery"]]}',
    ]);
  });
});
