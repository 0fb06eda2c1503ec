import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedRoutes } from '../../functions/routes';
import { schedules, WEBHOOK_DISPATCH } from '../../functions/schedules';
import { workflowTasks } from '../../functions/workflow';
import type { HandlerFunction } from '../../lib/constructs/handler-function';
import { handlerNeeds, needsOf, tableActionsFor, workflowActionResources } from '../../lib/handler-needs';
import type { StatelessStack } from '../../lib/stateless-stack';
import { resourcesOfType, synth } from './synth';

/**
 * Statements that may name every resource (`Resource: '*'`), each because AWS offers nothing
 * narrower for its actions. Add an entry only with that reason written out.
 */
const wildcardAllowList: { actions: string[]; reason: string }[] = [
  {
    // On the state machine's role, for logging to CloudWatch Logs.
    actions: [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ],
    reason:
      'Vended log delivery (how Step Functions writes to CloudWatch Logs) has no resource-level permissions: the Step Functions guide requires Resource * for these actions.',
  },
  {
    // On the state machine's role, for X-Ray tracing.
    actions: [
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ],
    reason: 'X-Ray has no resource-level permissions for writing traces and reading sampling rules.',
  },
];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of every identity policy in the template: policies, managed policies, and roles' inline policies. */
function statementsOf(template: Template): { where: string; statement: Statement }[] {
  const documents = [
    ...Object.entries(resourcesOfType(template, 'AWS::IAM::Policy')).map(([id, r]) => [
      id,
      r.Properties.PolicyDocument,
    ]),
    ...Object.entries(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')).map(([id, r]) => [
      id,
      r.Properties.PolicyDocument,
    ]),
    ...Object.entries(resourcesOfType(template, 'AWS::IAM::Role')).flatMap(([id, r]) =>
      asList(r.Properties.Policies as { PolicyDocument: unknown }[]).map((policy) => [
        id,
        policy.PolicyDocument,
      ]),
    ),
  ] as [string, { Statement: Statement[] }][];
  return documents.flatMap(([where, document]) =>
    document.Statement.map((statement) => ({ where, statement })),
  );
}

/** The statements that allow actions on every resource and are not on the allow-list. */
function unjustifiedWildcards(template: Template) {
  return statementsOf(template)
    .filter(({ statement }) => statement.Effect === 'Allow' && asList(statement.Resource).includes('*'))
    .filter(
      // CDK merges statements on the same resources, so each action is looked up on its own.
      ({ statement }) =>
        !asList(statement.Action).every((action) =>
          wildcardAllowList.some((allowed) => allowed.actions.includes(action)),
        ),
    );
}

describe('least privilege', () => {
  let synthesized: ReturnType<typeof synth>;
  beforeAll(() => {
    synthesized = synth();
  });

  it('grants no action on every resource unless the allow-list gives the reason', () => {
    // Act
    const findings = [synthesized.templates.stateful, synthesized.templates.stateless].flatMap(
      unjustifiedWildcards,
    );

    // Assess
    expect(statementsOf(synthesized.templates.stateless).length).toBeGreaterThan(0);
    expect(findings).toEqual([]);
  });

  it('notices a statement on every resource that the allow-list does not name', () => {
    // Prepare
    const changed = synth({
      change: ({ stateless }) =>
        stateless.functions
          .get('http/get-catalog')
          ?.role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['*'] })),
    });

    // Act
    const findings = unjustifiedWildcards(changed.templates.stateless);

    // Assess
    expect(findings.map(({ statement }) => statement.Action)).toEqual(['dynamodb:Scan']);
  });

  it('lets each function do exactly what lib/handler-needs.ts names for its handler, and nothing else', () => {
    // Prepare
    const { stacks, templates } = synthesized;

    for (const [handler, fn] of stacks.stateless.functions) {
      const needs = needsOf(handler);

      // Act
      const granted = grantsOf(templates.stateless, stacks.stateless, fn);

      // Assess
      expect(granted, handler).toEqual(
        [
          'logs:CreateLogStream on its log group',
          'logs:PutLogEvents on its log group',
          ...tableActionsFor(handler).map((action) => `${action} on the table`),
          ...needs.indexes.map((index) => `dynamodb:Query on index ${index}`),
          ...needs.scans.map((index) => `dynamodb:Scan on index ${index}`),
          ...needs.checkpoints.map((action) =>
            action === 'ListBucket' ? 's3:ListBucket on the audit bucket' : `s3:${action} on the checkpoints`,
          ),
          ...needs.signingKey.map((action) => `kms:${action} on the audit signing key`),
          ...Object.entries(needs.workflow).flatMap(([machine, actions]) =>
            (actions ?? []).map(
              (action) => `states:${action} on the ${workflowActionResources[action]} of ${machine}`,
            ),
          ),
          ...(needs.email
            ? ['ses:SendEmail on identity access@example.org', 'ses:SendEmail on identity example.org']
            : []),
          ...needs.grantSchedules.map((action) => `scheduler:${action} on the grant schedules`),
          ...needs.exportFiles.map((action) => `s3:${action} on the export files`),
          // Creating or updating a schedule names the role its target runs as.
          ...(needs.grantSchedules.some(
            (action) => action === 'CreateSchedule' || action === 'UpdateSchedule',
          )
            ? ['iam:PassRole on the grant scheduler role']
            : []),
          ...(needs.signingSecret
            ? [
                'secretsmanager:DescribeSecret on the signing secret',
                'secretsmanager:GetSecretValue on the signing secret',
              ]
            : []),
          ...(needs.webhookSecrets
            ? ['hr', 'provisioning', 'servicedesk'].map(
                (integration) => `secretsmanager:GetSecretValue on the webhook secret of ${integration}`,
              )
            : []),
          ...(needs.dispatches ? ['lambda:InvokeFunction on the dispatcher'] : []),
        ].sort(),
      );
    }
  });

  it("lets only the dispatcher read the subscribers' secrets, each secret made by the stack for its subscriber", () => {
    // Prepare
    const { stacks, templates } = synth({
      context: {
        webhookSubscribers: JSON.stringify([
          {
            name: 'siem',
            url: 'https://siem.example.org/tollgate',
            events: ['grant.activated', 'grant.ended'],
          },
          { name: 'chat', url: 'https://chat.example.org/hooks/tollgate', events: ['ticket.created'] },
        ]),
      },
    });

    for (const [handler, fn] of stacks.stateless.functions) {
      // Act
      const reading = grantsOf(templates.stateless, stacks.stateless, fn).filter((grant) =>
        grant.includes('subscriber secret'),
      );

      // Assess
      expect(reading, handler).toEqual(
        needsOf(handler).subscriberSecrets
          ? [
              'secretsmanager:GetSecretValue on the subscriber secret of chat',
              'secretsmanager:GetSecretValue on the subscriber secret of siem',
            ]
          : [],
      );
    }
    expect(Object.keys(resourcesOfType(templates.stateless, 'AWS::SecretsManager::Secret'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^WebhookSubscriberSecretsiem/),
        expect.stringMatching(/^WebhookSubscriberSecretchat/),
      ]),
    );
  });

  it('lets the functions that email send through the configuration set and to sandbox recipients when those are set', () => {
    // Prepare
    const { stacks, templates } = synth({
      context: { sesConfigurationSet: 'tollgate-events', sesSandboxRecipients: 'erin@example.org' },
    });

    for (const [handler, fn] of stacks.stateless.functions) {
      // Act
      const sending = grantsOf(templates.stateless, stacks.stateless, fn).filter((grant) =>
        grant.startsWith('ses:'),
      );

      // Assess
      expect(sending, handler).toEqual(
        needsOf(handler).email
          ? [
              'ses:SendEmail on configuration set tollgate-events',
              'ses:SendEmail on identity access@example.org',
              'ses:SendEmail on identity erin@example.org',
              'ses:SendEmail on identity example.org',
            ]
          : [],
      );
    }
  });

  it('names the needs of deployed handlers only, and of each of them', () => {
    // Prepare
    const deployed = new Set([
      ...deployedRoutes().map((route) => route.handler),
      ...workflowTasks.map((task) => task.handler),
      ...schedules.map((schedule) => schedule.handler),
    ]);

    // Act
    const named = Object.keys(handlerNeeds);

    // Assess
    expect(new Set(named)).toEqual(deployed);
  });
});

/** What a function's role may do, as `action on resource` lines, sorted: one line per action and resource. */
function grantsOf(template: Template, stack: StatelessStack, fn: HandlerFunction): string[] {
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const roleId = logicalId(fn.role);
  const logGroupId = logicalId(fn.logGroup);
  const schedulerRoleId = logicalId(stack.grantScheduleTarget.role);
  const dispatcherId = logicalId(
    (
      stack.functions.get(
        schedules.find(({ name }) => name === WEBHOOK_DISPATCH)?.handler ?? '',
      ) as HandlerFunction
    ).function,
  );
  const policyIds = Object.entries(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .map(([id]) => id);
  const describe = (resource: unknown): string => {
    const text = JSON.stringify(resource);
    if (text === JSON.stringify({ 'Fn::GetAtt': [logGroupId, 'Arn'] })) return 'its log group';
    if (/^\{"Fn::ImportValue":"Tollgate-Stateful:[^"]*Tickets[^"]*Arn[^"]*"\}$/.test(text))
      return 'the table';
    const index = /Tickets.*"\/index\/(\w+)"\]\]\}$/.exec(text)?.[1];
    if (index) return `index ${index}`;
    const machine = /:stateMachine:Tollgate-Stateless-([\w-]+)"\]\]\}$/.exec(text)?.[1];
    if (machine) return `the state machine of ${machine}`;
    const executionsOf = /:execution:Tollgate-Stateless-([\w-]+):\*"\]\]\}$/.exec(text)?.[1];
    if (executionsOf) return `the executions of ${executionsOf}`;
    const identity = /:ses:.*:identity\/([^"]+)"\]\]\}$/.exec(text)?.[1];
    if (identity) return `identity ${identity}`;
    const configurationSet = /:ses:.*:configuration-set\/([^"]+)"\]\]\}$/.exec(text)?.[1];
    if (configurationSet) return `configuration set ${configurationSet}`;
    if (/^\{"Ref":"SigningSecret\w+"\}$/.test(text)) return 'the signing secret';
    const webhookSecret = /^\{"Ref":"WebhookSecret([a-z0-9-]+?)[0-9A-F]{8}"\}$/.exec(text)?.[1];
    if (webhookSecret) return `the webhook secret of ${webhookSecret}`;
    const subscriberSecret = /^\{"Ref":"WebhookSubscriberSecret([a-z0-9-]+?)[0-9A-F]{8}"\}$/.exec(text)?.[1];
    if (subscriberSecret) return `the subscriber secret of ${subscriberSecret}`;
    if (text === JSON.stringify({ 'Fn::GetAtt': [dispatcherId, 'Arn'] })) return 'the dispatcher';
    if (/^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["AuditExports\w+","Arn"\]\},"\/exports\/\*"\]\]\}$/.test(text))
      return 'the export files';
    if (text === JSON.stringify({ 'Fn::ImportValue': 'Tollgate-AuditBucketArn' })) return 'the audit bucket';
    if (
      text ===
      JSON.stringify({
        'Fn::Join': ['', [{ 'Fn::ImportValue': 'Tollgate-AuditBucketArn' }, '/checkpoints/*']],
      })
    )
      return 'the checkpoints';
    if (/^\{"Fn::ImportValue":"Tollgate-Stateful:[^"]*AuditTrailSigningKey[^"]*Arn[^"]*"\}$/.test(text))
      return 'the audit signing key';
    if (/:scheduler:.*:schedule\/default\/grant-\*"\]\]\}$/.test(text)) return 'the grant schedules';
    if (text === JSON.stringify({ 'Fn::GetAtt': [schedulerRoleId, 'Arn'] }))
      return 'the grant scheduler role';
    return text;
  };
  return statementsOf(template)
    .filter(({ where }) => policyIds.includes(where))
    .flatMap(({ statement }) =>
      asList(statement.Action).flatMap((action) =>
        asList(statement.Resource).map((resource) => `${action} on ${describe(resource)}`),
      ),
    )
    .sort();
}
