import { describe, expect, it } from 'vitest';
import {
  LAMBDA_INVOKE,
  loadDefinition,
  StateMachineDefinitionError,
} from '../../../functions/local/stepfunctions/definition';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:fixture';

/** A one-task machine whose task goes `next`, or ends when `next` is undefined. */
const machine = (next?: string) =>
  JSON.stringify({
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: LAMBDA_INVOKE,
        Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:work', 'Payload.$': '$' },
        ...(next ? { Next: next } : { End: true }),
      },
    },
  });

describe('a state machine definition as the local Step Functions loads it', () => {
  it('refuses one that is not valid ASL, naming the file, each time it is asked, and loads a valid one in between', () => {
    // Act
    const first = () => loadDefinition('fixture', machine('Nowhere'), ARN, 'statemachines/fixture.asl.json');
    const valid = loadDefinition('fixture', machine(), ARN, 'statemachines/fixture.asl.json');
    const again = () => loadDefinition('fixture', machine('Nowhere'), ARN, 'statemachines/fixture.asl.json');

    // Assess
    expect(first).toThrow(StateMachineDefinitionError);
    expect(first).toThrow(/statemachines\/fixture\.asl\.json is not valid ASL:[\s\S]*Nowhere/);
    expect(valid.startAt).toBe('Work');
    expect(again).toThrow(/is not valid ASL:[\s\S]*Nowhere/);
  });

  it('refuses a state with a field ASL does not have', () => {
    // Prepare
    const definition = JSON.parse(machine()) as { States: { Work: Record<string, unknown> } };
    definition.States.Work.Retries = [];

    // Act
    const loading = () => loadDefinition('fixture', JSON.stringify(definition), ARN, 'fixture.asl.json');

    // Assess
    expect(loading).toThrow(/fixture\.asl\.json is not valid ASL/);
  });
});
