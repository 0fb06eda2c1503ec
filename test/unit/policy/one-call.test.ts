import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledPolicySet } from '../../../functions/adapters/cedar/engine';
import { compilePolicyFolder } from '../../../functions/adapters/cedar/policy-files';
import type { Identity, System } from '../../../functions/domain/directory';
import { type PolicyInputs, policyInputs } from '../../../functions/domain/policy/inputs';
import { actionUid, outcomeActions, stageActions } from '../../../functions/domain/policy/outcome';
import { policiesFolder } from '../../support/policies';
import { person } from '../domain/fixtures';

/**
 * One Cedar call answers every action of a decision (engine.ts `answers`). Whatever the set, each answer
 * must be the one Cedar gives when that action alone is asked of the set as written: the same decision,
 * and the same determining policies.
 */
const { folder } = compilePolicyFolder(policiesFolder);
const ACTIONS = [...outcomeActions, ...Object.values(stageActions)];
const now = new Date('2026-06-01T09:00:00Z');

const actionRef = (action: string) => `Tollgate::Action::"${action}"`;
const conditions = [
  'principal.department == "IT"',
  'principal.status != "active"',
  'resource.class == "read"',
  'resource.class == "admin"',
  'resource.system.sensitivity == "critical"',
  'principal.department == resource.system.owner.department',
  'context.holds.containsAny(resource.conflictsWith)',
  'context.urgency == "high"',
  'context.beneficiaryIsServiceAccount',
  'context.justificationLength > 20',
];
const policyArbitrary = fc.record({
  effect: fc.constantFrom('permit', 'forbid'),
  scope: fc.oneof(
    fc.constant('action'),
    fc.constantFrom(...ACTIONS).map((action) => `action == ${actionRef(action)}`),
    fc
      .uniqueArray(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 3 })
      .map((actions) => `action in [${actions.map(actionRef).join(', ')}]`),
  ),
  principal: fc.constantFrom(
    'principal',
    'principal is Tollgate::Person',
    'principal is Tollgate::ServiceAccount',
  ),
  when: fc.subarray(conditions, { maxLength: 2 }),
});
const policySetArbitrary = fc
  .array(policyArbitrary, { minLength: 1, maxLength: 12 })
  .map((policies) =>
    Object.fromEntries(
      policies.map((policy, n) => [
        `p${n}`,
        `${policy.effect} (${policy.principal}, ${policy.scope}, resource)${
          policy.when.length > 0 ? ` when { ${policy.when.join(' && ')} }` : ''
        };`,
      ]),
    ),
  );

const owner = person('owner@x.com', { department: 'IT' });
const requestArbitrary = fc
  .record({
    service: fc.boolean(),
    department: fc.constantFrom('IT', 'Sales'),
    status: fc.constantFrom('active', 'suspended'),
    class: fc.constantFrom('read', 'write', 'admin'),
    sensitivity: fc.constantFrom('low', 'high', 'critical'),
    urgency: fc.constantFrom('normal', 'high'),
    holdsConflict: fc.boolean(),
    justification: fc.constantFrom('short reason', 'a much longer business justification'),
  })
  .map((request): PolicyInputs => {
    const beneficiary: Identity = person(request.service ? 'svc@x.com' : 'ben@x.com', {
      kind: request.service ? 'service' : 'human',
      ownerId: request.service ? owner.id : null,
      department: request.department,
      status: request.status,
    });
    const entitlement = {
      id: 'ent',
      name: 'ent',
      class: request.class,
      maxDuration: null,
      conflictsWith: ['toxic'],
    };
    const system: System = {
      id: 'sys',
      name: 'sys',
      ownerId: owner.id,
      sensitivity: request.sensitivity,
      fulfilment: { mode: 'manual', fulfillers: ['fulfiller@x.com'] },
      entitlements: [entitlement],
    };
    return policyInputs({
      requester: request.service ? owner : beneficiary,
      beneficiary,
      people: new Map([[owner.id, owner]]),
      system,
      entitlement,
      catalog: [system],
      urgency: request.urgency,
      duration: null,
      justification: request.justification,
      evidenceCount: 0,
      holds: request.holdsConflict ? ['toxic'] : ['harmless'],
      now,
    });
  });

/** Cedar's own answer for one action, asked of the set as written. */
function askedAlone(
  policies: Record<string, string>,
  inputs: PolicyInputs,
  action: (typeof ACTIONS)[number],
) {
  const answer = cedar.isAuthorized({
    principal: inputs.principal,
    action: actionUid(action),
    resource: inputs.resource,
    context: inputs.context as cedar.Context,
    entities: inputs.entities as cedar.Entities,
    policies: { staticPolicies: policies },
    schema: folder.schema,
  });
  if (answer.type === 'failure') throw new Error(answer.errors.map((error) => error.message).join('; '));
  return {
    allowed: answer.response.decision === 'allow',
    policyIds: answer.response.diagnostics.reason.sort(),
  };
}

describe('one Cedar call for every action of a decision', () => {
  it('answers each action as Cedar does when that action alone is asked, for any set and request', () => {
    fc.assert(
      fc.property(policySetArbitrary, requestArbitrary, (policies, inputs) => {
        // Prepare
        const compiled = CompiledPolicySet.compile(folder.schema, policies);

        // Act
        const answers = compiled.answers(inputs);

        // Assess
        expect(compiled.answersInOneCall).toBe(true);
        for (const action of ACTIONS) {
          const answer = answers(action);
          expect({
            allowed: answer.allowed,
            policyIds: answer.policies.map((policy) => policy.id).sort(),
          }).toEqual(askedAlone(policies, inputs, action));
        }
      }),
      { numRuns: 150 },
    );
    // 150 sets compiled and asked by Cedar: about 20 s on a quiet 2-core machine, twice that beside other suites.
  }, 120_000);

  it('asks each action on its own when a policy reads the action in its conditions, with the same answers', () => {
    // Prepare
    const policies = {
      either: `permit (principal, action in [${actionRef('autoApprove')}, ${actionRef('requireManager')}], resource) when { action == ${actionRef('requireManager')} || resource.class == "read" };`,
    };
    const compiled = CompiledPolicySet.compile(folder.schema, policies);
    const inputs = fc.sample(requestArbitrary, { numRuns: 20, seed: 7 });

    // Act
    const answered = inputs.map((request) => ACTIONS.map((action) => compiled.answers(request)(action)));

    // Assess
    expect(compiled.answersInOneCall).toBe(false);
    answered.forEach((answers, n) => {
      ACTIONS.forEach((action, a) => {
        const answer = answers[a];
        expect({
          allowed: answer?.allowed,
          policyIds: answer?.policies.map((policy) => policy.id).sort(),
        }).toEqual(askedAlone(policies, inputs[n] as PolicyInputs, action));
      });
    });
  });

  it('answers the demo set in one call', () => {
    expect(compilePolicyFolder(policiesFolder).compiled.answersInOneCall).toBe(true);
  });
});
