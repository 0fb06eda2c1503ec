import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedRoutes } from '../../functions/routes';
import { handlerNeeds, tableActionsFor } from '../../lib/handler-needs';
import { resourcesOfType, synth } from './synth';

/**
 * Statements that may name every resource (`Resource: '*'`), each because AWS offers nothing
 * narrower for its actions. Add an entry only with that reason written out.
 */
const wildcardAllowList: { actions: string[]; reason: string }[] = [];

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
      ({ statement }) =>
        !wildcardAllowList.some(
          (allowed) =>
            JSON.stringify([...allowed.actions].sort()) ===
            JSON.stringify([...asList(statement.Action)].sort()),
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

  it('lets each function do on the table exactly what lib/handler-needs.ts names for its handler', () => {
    // Prepare
    const { stacks, templates } = synthesized;
    const statements = statementsOf(templates.stateless);

    for (const [handler, fn] of stacks.stateless.functions) {
      // Act
      const roleId = stacks.stateless.getLogicalId(fn.role.node.defaultChild as CfnElement);
      const policyIds = Object.entries(resourcesOfType(templates.stateless, 'AWS::IAM::Policy'))
        .filter(([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .map(([id]) => id);
      const own = statements
        .filter(({ where }) => policyIds.includes(where))
        .map(({ statement }) => statement);
      const onTable = own.filter((statement) => JSON.stringify(statement.Resource).includes('Tickets'));
      const onIndexes = onTable.filter((statement) => JSON.stringify(statement.Resource).includes('/index/'));
      const onItems = onTable.filter((statement) => !onIndexes.includes(statement));

      // Assess
      expect(onItems.flatMap((statement) => asList(statement.Action)).sort(), handler).toEqual(
        [...tableActionsFor(handler)].sort(),
      );
      expect(
        onIndexes.flatMap((statement) => asList(statement.Action)),
        handler,
      ).toEqual(['dynamodb:Query']);
      expect(
        new Set(own.flatMap((statement) => asList(statement.Action)).map((action) => action.split(':')[0])),
        handler,
      ).toEqual(new Set(['logs', 'dynamodb', 'secretsmanager']));
    }
  });

  it('names the needs of deployed handlers only', () => {
    // Prepare
    const deployed = new Set(deployedRoutes().map((route) => route.handler));

    // Act
    const named = Object.keys(handlerNeeds);

    // Assess
    expect(named.filter((handler) => !deployed.has(handler))).toEqual([]);
  });
});
