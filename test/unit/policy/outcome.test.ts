import { describe, expect, it } from 'vitest';
import {
  type ActionAnswer,
  decideOutcome,
  NO_POLICY_APPLIES,
  type PolicyAction,
  policyActions,
} from '../../../functions/domain/policy/outcome';

const now = new Date('2026-01-31T12:00:00Z');
const no: ActionAnswer = { allowed: false, policies: [] };
const yes = (id: string, annotations: { reason?: string; maxDuration?: string } = {}): ActionAnswer => ({
  allowed: true,
  policies: [{ id, reason: annotations.reason ?? null, maxDuration: annotations.maxDuration ?? null }],
});

function answers(allowed: Partial<Record<PolicyAction, ActionAnswer>>) {
  const actions = Object.fromEntries(policyActions.map((action) => [action, allowed[action] ?? no]));
  return { version: 'v1', actions: actions as Record<PolicyAction, ActionAnswer> };
}

describe('how policy answers combine into an outcome', () => {
  it('lets autoReject win over autoApprove and every stage', () => {
    // Act
    const outcome = decideOutcome(
      answers({
        autoReject: yes('no', { reason: 'not for you' }),
        autoApprove: yes('ok'),
        requireManager: yes('m'),
      }),
      now,
    );
    // Assess
    expect(outcome).toMatchObject({
      outcome: 'auto_rejected',
      policyIds: ['no'],
      reason: 'not for you',
      stages: [],
    });
  });

  it('lets autoApprove win over the stages', () => {
    // Act
    const outcome = decideOutcome(answers({ autoApprove: yes('ok'), requireSecurity: yes('s') }), now);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'auto_approved', policyIds: ['ok'], stages: [] });
  });

  it('orders stages manager, system owner, security, whatever order policies name them in', () => {
    // Act
    const outcome = decideOutcome(
      answers({ requireSecurity: yes('s'), requireManager: yes('m'), requireSystemOwner: yes('o') }),
      now,
    );
    // Assess
    expect(outcome.stages).toEqual([
      { stage: 'manager', policyIds: ['m'] },
      { stage: 'system_owner', policyIds: ['o'] },
      { stage: 'security', policyIds: ['s'] },
    ]);
  });

  it('refuses a request that no policy speaks for, as Cedar denies by default', () => {
    // Act
    const outcome = decideOutcome(answers({}), now);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'auto_rejected', policyIds: [], reason: NO_POLICY_APPLIES });
  });

  it('takes the tightest cap, comparing calendar months as they fall from now', () => {
    // Prepare: from 31 January, P1M ends on 28 February, before P30D does
    const outcome = decideOutcome(
      answers({
        requireManager: yes('thirty-days', { maxDuration: 'P30D' }),
        requireSystemOwner: yes('one-month', { maxDuration: 'P1M' }),
      }),
      now,
    );
    // Assess
    expect(outcome.cap).toEqual({ max: 'P1M', policyId: 'one-month' });
  });
});
