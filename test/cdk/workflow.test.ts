import { readFileSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedules } from '../../functions/schedules';
import {
  ACCESS_REQUEST_STATE_MACHINE,
  revocationStateMachine,
  stateMachines,
  workflowTasks,
} from '../../functions/workflow';
import { handlerId } from '../../lib/constructs/handler-function';
import { retryWindowSeconds } from '../../lib/constructs/handler-schedules';
import { placeholdersOf } from '../../lib/constructs/workflow-state-machine';
import { type Resources, resourcesOfType, synth } from './synth';

const projectFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The statements of the policies attached to one role. */
function statementsOfRole(policies: Resources, roleId: string): Statement[] {
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

describe('the workflow in the stateless stack', () => {
  let synthesized: ReturnType<typeof synth>;
  let stateMachine: Resources[string];
  const functionId = (handler: string) => {
    const fn = synthesized.stacks.stateless.functions.get(handler);
    if (!fn) throw new Error(`No function for ${handler}`);
    return synthesized.stacks.stateless.getLogicalId(fn.function.node.defaultChild as CfnElement);
  };
  beforeAll(() => {
    synthesized = synth();
    const machines = Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::StepFunctions::StateMachine'),
    );
    expect(machines).toHaveLength(stateMachines.length);
    stateMachine = machines[0] as Resources[string];
  });

  it('builds the state machine from its ASL file, each placeholder filled with the ARN of its task function', () => {
    // Prepare
    const [machine] = stateMachines;
    const definition = projectFile(machine.definitionFile);

    // Act
    const { DefinitionString, DefinitionSubstitutions } = stateMachine.Properties;

    // Assess
    expect(DefinitionString).toBe(definition);
    expect(Object.keys(DefinitionSubstitutions as object).sort()).toEqual(placeholdersOf(definition));
    expect(DefinitionSubstitutions).toEqual(
      Object.fromEntries(
        workflowTasks
          .filter((task) => placeholdersOf(definition).includes(task.placeholder))
          .map((task) => [task.placeholder, { 'Fn::GetAtt': [functionId(task.handler), 'Arn'] }]),
      ),
    );
  });

  it('fills every placeholder of the ASL file from functions/workflow.ts, and uses every task listed there', () => {
    // Act
    const placeholders = stateMachines.flatMap((machine) =>
      placeholdersOf(projectFile(machine.definitionFile)),
    );

    // Assess
    expect(new Set(placeholders)).toEqual(new Set(workflowTasks.map((task) => task.placeholder)));
  });

  it('runs one function per workflow task, on the handler module the task names', () => {
    // Prepare
    const functions = resourcesOfType(synthesized.templates.stateless, 'AWS::Lambda::Function');

    // Act
    const missing = workflowTasks.filter((task) => !functions[functionId(task.handler)]);

    // Assess
    expect(missing).toEqual([]);
    for (const task of workflowTasks) {
      expect(synthesized.stacks.stateless.functions.get(task.handler)?.node.id).toBe(handlerId(task.handler));
    }
  });

  it('is a Standard state machine under the name the functions are given its ARN by', () => {
    // Act
    const { StateMachineName, StateMachineType } = stateMachine.Properties;

    // Assess
    expect(StateMachineType).toBe('STANDARD');
    expect(StateMachineName).toBe(`Tollgate-Stateless-${ACCESS_REQUEST_STATE_MACHINE}`);
    for (const fn of Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::Lambda::Function'),
    )) {
      const arn = (fn.Properties.Environment as { Variables: { STATE_MACHINE_ARN: unknown } }).Variables
        .STATE_MACHINE_ARN;
      expect(JSON.stringify(arn)).toMatch(new RegExp(`:stateMachine:${StateMachineName}"\\]\\]\\}$`));
    }
  });

  it('logs every event without execution data (no task tokens, no ticket content) for the retention, and traces', () => {
    // Prepare
    const logGroups = resourcesOfType(synthesized.templates.stateless, 'AWS::Logs::LogGroup');

    // Act
    const { LoggingConfiguration, TracingConfiguration } = stateMachine.Properties as {
      LoggingConfiguration: {
        Level: string;
        IncludeExecutionData: boolean;
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
      };
      TracingConfiguration: unknown;
    };

    // Assess
    expect(LoggingConfiguration.Level).toBe('ALL');
    expect(LoggingConfiguration.IncludeExecutionData).toBe(false);
    const [destination] = LoggingConfiguration.Destinations;
    const logGroup = logGroups[destination?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] ?? ''];
    expect(logGroup?.Properties).toMatchObject({
      LogGroupName: '/aws/vendedlogs/states/Tollgate-Stateless-access-request',
      RetentionInDays: 90,
    });
    expect(TracingConfiguration).toEqual({ Enabled: true });
  });

  it('lets each state machine invoke exactly its task functions, and nothing else but logging and tracing', () => {
    // Prepare
    const policies = resourcesOfType(synthesized.templates.stateless, 'AWS::IAM::Policy');
    const machines = resourcesOfType(synthesized.templates.stateless, 'AWS::StepFunctions::StateMachine');

    for (const { name, definitionFile } of stateMachines) {
      // Act
      const machine = Object.values(machines).find(
        (candidate) => candidate.Properties.StateMachineName === `Tollgate-Stateless-${name}`,
      );
      if (!machine) throw new Error(`No state machine ${name} in the template`);
      const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = statementsOfRole(policies, roleId);
      const invoking = statements.filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('lambda:')),
      );
      const others = statements.filter((statement) => !invoking.includes(statement));

      // Assess
      const placeholders = placeholdersOf(projectFile(definitionFile));
      // In any order: CDK sorts the resources of a statement it minimizes.
      const inOrder = (resources: unknown) =>
        asList(resources).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(
        invoking.map((statement) => ({ ...statement, Resource: inOrder(statement.Resource) })),
        name,
      ).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: inOrder(
            workflowTasks
              .filter((task) => placeholders.includes(task.placeholder))
              .map((task) => ({ 'Fn::GetAtt': [functionId(task.handler), 'Arn'] })),
          ),
        },
      ]);
      expect(
        others
          .flatMap((statement) => asList(statement.Action))
          .filter((action) => !/^(logs|xray):/.test(action)),
        name,
      ).toEqual([]);
    }
  });

  it('deploys the grant-revocation machine from the list, invoking the begin-revocation, advance and notify functions', () => {
    // Prepare
    const machines = resourcesOfType(synthesized.templates.stateless, 'AWS::StepFunctions::StateMachine');

    // Act
    const revocation = Object.values(machines).find(
      (machine) =>
        machine.Properties.StateMachineName === `Tollgate-Stateless-${revocationStateMachine.name}`,
    );

    // Assess
    expect(revocation?.Properties.DefinitionString).toBe(projectFile(revocationStateMachine.definitionFile));
    expect(revocation?.Properties.DefinitionSubstitutions).toEqual({
      AdvanceFunctionArn: { 'Fn::GetAtt': [functionId('workflow/advance'), 'Arn'] },
      BeginRevocationFunctionArn: { 'Fn::GetAtt': [functionId('workflow/begin-revocation'), 'Arn'] },
      NotifyFunctionArn: { 'Fn::GetAtt': [functionId('workflow/notify'), 'Arn'] },
    });
  });

  it('lets the reconcile function describe the executions of the state machine, and no other function describe any', () => {
    // Prepare
    const policies = resourcesOfType(synthesized.templates.stateless, 'AWS::IAM::Policy');
    const roleOf = (handler: string) =>
      synthesized.stacks.stateless.getLogicalId(
        synthesized.stacks.stateless.functions.get(handler)?.role.node.defaultChild as CfnElement,
      );

    // Act
    const describing = [...synthesized.stacks.stateless.functions.keys()].flatMap((handler) =>
      statementsOfRole(policies, roleOf(handler))
        .filter((statement) => asList(statement.Action).includes('states:DescribeExecution'))
        .map((statement) => ({ handler, statement })),
    );

    // Assess
    expect(describing.map(({ handler }) => handler)).toEqual(['scheduled/reconcile']);
    expect(describing[0]?.statement.Action).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(JSON.stringify(describing[0]?.statement.Resource)).toMatch(
      new RegExp(`:execution:Tollgate-Stateless-${ACCESS_REQUEST_STATE_MACHINE}:\\*"\\]\\]\\}$`),
    );
  });

  it("lets the cancel (the API's and the console's), directory-change (the API's and the admin page's) and reconcile functions, and no other, stop executions of the state machine, and reconcile alone fail its waiting tasks", () => {
    // Prepare
    const policies = resourcesOfType(synthesized.templates.stateless, 'AWS::IAM::Policy');
    const roleOf = (handler: string) =>
      synthesized.stacks.stateless.getLogicalId(
        synthesized.stacks.stateless.functions.get(handler)?.role.node.defaultChild as CfnElement,
      );

    // Act
    const granted = (action: string) =>
      [...synthesized.stacks.stateless.functions.keys()].flatMap((handler) =>
        statementsOfRole(policies, roleOf(handler))
          .filter((statement) => asList(statement.Action).includes(action))
          .map((statement) => ({ handler, resource: JSON.stringify(statement.Resource) })),
      );

    // Assess
    const stopping = granted('states:StopExecution');
    // A departed beneficiary's tickets are cancelled by the directory change.
    expect(stopping.map(({ handler }) => handler).sort()).toEqual([
      'http/cancel-request',
      'http/put-directory-entry',
      'http/receive-webhook',
      'pages/admin',
      'pages/my-requests',
      'scheduled/reconcile',
    ]);
    for (const { resource } of stopping) {
      expect(resource).toMatch(
        new RegExp(`:execution:Tollgate-Stateless-${ACCESS_REQUEST_STATE_MACHINE}:\\*"\\]\\]\\}$`),
      );
    }
    const failing = granted('states:SendTaskFailure');
    expect(failing.map(({ handler }) => handler)).toEqual(['scheduled/reconcile']);
    expect(failing[0]?.resource).toMatch(
      new RegExp(`:stateMachine:Tollgate-Stateless-${ACCESS_REQUEST_STATE_MACHINE}"\\]\\]\\}$`),
    );
  });

  it('runs every schedule of functions/schedules.ts on its expression, invoking its handler through a role for that function only', () => {
    // Prepare
    const { templates } = synthesized;
    const found = Object.values(resourcesOfType(templates.stateless, 'AWS::Scheduler::Schedule'));
    const policies = resourcesOfType(templates.stateless, 'AWS::IAM::Policy');
    const roles = resourcesOfType(templates.stateless, 'AWS::IAM::Role');

    // Act
    const byName = new Map(found.map((schedule) => [schedule.Properties.Name, schedule.Properties]));

    // Assess
    expect(found).toHaveLength(schedules.length);
    for (const schedule of schedules) {
      const properties = byName.get(`Tollgate-Stateless-${schedule.name}`) as {
        ScheduleExpression: string;
        State: string;
        Target: { Arn: unknown; RoleArn: { 'Fn::GetAtt': [string, string] }; RetryPolicy: unknown };
      };
      expect(properties, schedule.name).toBeDefined();
      expect(properties.ScheduleExpression).toBe(schedule.expression);
      expect(properties.State).toBe('ENABLED');
      expect(properties.Target.Arn).toEqual({ 'Fn::GetAtt': [functionId(schedule.handler), 'Arn'] });
      expect(properties.Target.RetryPolicy).toEqual({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: retryWindowSeconds(schedule),
      });
      const roleId = properties.Target.RoleArn['Fn::GetAtt'][0];
      expect(JSON.stringify(roles[roleId]?.Properties.AssumeRolePolicyDocument)).toContain(
        '"Service":"scheduler.amazonaws.com"',
      );
      expect(statementsOfRole(policies, roleId)).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [functionId(schedule.handler), 'Arn'] },
        },
      ]);
    }
  });

  it('gives the scheduled functions a minute or the minutes their schedule asks for, the workflow tasks the timeout functions/workflow.ts gives them, and the others ten seconds', () => {
    // Prepare
    const scheduled = new Map(
      schedules.map((schedule) => [schedule.handler, (schedule.timeoutMinutes ?? 1) * 60]),
    );
    const tasks = new Map(workflowTasks.map((task) => [task.handler, task.timeoutSeconds]));
    const functions = resourcesOfType(synthesized.templates.stateless, 'AWS::Lambda::Function');

    for (const handler of synthesized.stacks.stateless.functions.keys()) {
      // Act
      const timeout = functions[functionId(handler)]?.Properties.Timeout;

      // Assess
      expect(timeout, handler).toBe(scheduled.get(handler) ?? tasks.get(handler) ?? 10);
    }
  });
});
