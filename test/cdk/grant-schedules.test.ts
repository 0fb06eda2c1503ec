import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { revocationStateMachine } from '../../functions/workflow';
import { type Resources, resourcesOfType, synth } from './synth';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The statements of the policies attached to one role, by the role's logical id. */
function statementsOfRole(policies: Resources, roleId: string): Statement[] {
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const GRANT_SCHEDULES =
  /:scheduler:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":schedule\/default\/grant-\*"\]\]\}$/;
const REVOCATION_MACHINE = new RegExp(
  `:stateMachine:Tollgate-Stateless-${revocationStateMachine.name}"\\]\\]\\}$`,
);

describe('the grant schedules in the stateless stack', () => {
  let synthesized: ReturnType<typeof synth>;
  let policies: Resources;
  const logicalId = (construct: IConstruct) =>
    synthesized.stacks.stateless.getLogicalId(construct.node.defaultChild as CfnElement);
  /** Which function may do `action`, on which resources, under which condition. */
  const grantedTo = (action: string) =>
    [...synthesized.stacks.stateless.functions].flatMap(([handler, fn]) =>
      statementsOfRole(policies, logicalId(fn.role))
        .filter((statement) => asList(statement.Action).includes(action))
        // CDK merges statements of the same actions, so each resource is looked at on its own.
        .flatMap((statement) =>
          asList(statement.Resource).map((resource) => ({
            handler,
            resource: JSON.stringify(resource),
            condition: statement.Condition,
          })),
        ),
    );
  beforeAll(() => {
    synthesized = synth();
    policies = resourcesOfType(synthesized.templates.stateless, 'AWS::IAM::Policy');
  });

  it('keep what Scheduler could not deliver in a queue encrypted at rest, reachable over TLS only, for 14 days', () => {
    // Prepare
    const { grantScheduleTarget } = synthesized.stacks.stateless;

    // Act
    const queue = resourcesOfType(synthesized.templates.stateless, 'AWS::SQS::Queue')[
      logicalId(grantScheduleTarget.deadLetterQueue)
    ];
    const queuePolicies = Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::SQS::QueuePolicy'),
    );

    // Assess
    expect(queue?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    expect(queuePolicies).toHaveLength(1);
    expect(queuePolicies[0]?.Properties.PolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Principal: { AWS: '*' },
        },
      ],
    });
  });

  it('fire as a role that Scheduler assumes for this account’s default group only, which may start revocations and dead-letter, nothing else', () => {
    // Prepare
    const { grantScheduleTarget } = synthesized.stacks.stateless;
    const roleId = logicalId(grantScheduleTarget.role);

    // Act
    const role = resourcesOfType(synthesized.templates.stateless, 'AWS::IAM::Role')[roleId];
    const statements = statementsOfRole(policies, roleId);

    // Assess
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':scheduler:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':schedule-group/default',
                  ],
                ],
              },
            },
          },
        },
      ],
    });
    expect(role?.Properties).not.toHaveProperty('ManagedPolicyArns');
    expect(role?.Properties).not.toHaveProperty('Policies');
    expect(statements.map((statement) => statement.Action)).toEqual([
      'states:StartExecution',
      'sqs:SendMessage',
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(REVOCATION_MACHINE);
    expect(statements[1]?.Resource).toEqual({
      'Fn::GetAtt': [logicalId(grantScheduleTarget.deadLetterQueue), 'Arn'],
    });
  });

  it('are named to every function by the role and the dead-letter queue a grant schedule takes', () => {
    // Prepare
    const { grantScheduleTarget } = synthesized.stacks.stateless;

    // Act
    const settings = Object.values(
      resourcesOfType(synthesized.templates.stateless, 'AWS::Lambda::Function'),
    ).map((fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables);

    // Assess
    expect(settings).toHaveLength(synthesized.stacks.stateless.functions.size);
    for (const variables of settings) {
      expect(variables.GRANT_SCHEDULER_ROLE_ARN).toEqual({
        'Fn::GetAtt': [logicalId(grantScheduleTarget.role), 'Arn'],
      });
      expect(variables.GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN).toEqual({
        'Fn::GetAtt': [logicalId(grantScheduleTarget.deadLetterQueue), 'Arn'],
      });
    }
  });

  it('are created and updated by the advance step alone, passing the scheduler role to Scheduler only, and deleted by cancellations (from the API or the console) and departures (from the API or the admin page)', () => {
    // Prepare
    const { grantScheduleTarget } = synthesized.stacks.stateless;

    // Act
    const creating = grantedTo('scheduler:CreateSchedule');
    const updating = grantedTo('scheduler:UpdateSchedule');
    const deleting = grantedTo('scheduler:DeleteSchedule');
    const passing = grantedTo('iam:PassRole');

    // Assess
    expect(creating.map(({ handler }) => handler)).toEqual(['workflow/advance']);
    expect(updating.map(({ handler }) => handler)).toEqual(['workflow/advance']);
    expect(deleting.map(({ handler }) => handler).sort()).toEqual([
      'http/cancel-request',
      'http/put-directory-entry',
      'http/receive-webhook',
      'http/revoke-grant',
      'pages/admin',
      'pages/my-requests',
    ]);
    for (const { resource } of [...creating, ...updating, ...deleting])
      expect(resource).toMatch(GRANT_SCHEDULES);
    expect(passing).toEqual([
      {
        handler: 'workflow/advance',
        resource: JSON.stringify({ 'Fn::GetAtt': [logicalId(grantScheduleTarget.role), 'Arn'] }),
        condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    expect(grantedTo('scheduler:*')).toEqual([]);
  });

  it("start revocations from the sweep, early revocations, cancellations (from the API or the console), departures (from the API or the admin page) and a late fulfilment step only, and resume them from links, notify and the fulfiller's page", () => {
    // Act
    const onRevocations = (action: string) =>
      grantedTo(action).filter(({ resource }) => REVOCATION_MACHINE.test(resource));

    // Assess
    expect(
      onRevocations('states:StartExecution')
        .map(({ handler }) => handler)
        .sort(),
    ).toEqual([
      'http/cancel-request',
      'http/put-directory-entry',
      'http/receive-webhook',
      'http/revoke-grant',
      'pages/admin',
      'pages/my-requests',
      'scheduled/revocation-sweep',
      'workflow/advance',
    ]);
    expect(
      onRevocations('states:SendTaskSuccess')
        .map(({ handler }) => handler)
        .sort(),
    ).toEqual(['http/link-page', 'pages/fulfilments', 'workflow/notify']);
  });

  it('have their dead-letter queue in the stack outputs', () => {
    // Act
    const outputs = synthesized.templates.stateless.findOutputs('GrantScheduleDeadLetterQueueUrl');

    // Assess
    expect(Object.values(outputs)).toEqual([
      expect.objectContaining({
        Value: { Ref: logicalId(synthesized.stacks.stateless.grantScheduleTarget.deadLetterQueue) },
      }),
    ]);
  });
});
