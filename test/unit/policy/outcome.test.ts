import { describe, expect, it } from 'vitest';
import {
  type ActionAnswer,
  decideOutcome,
  NO_POLICY_APPLIES,
  type PolicyAction,
} from '../../../functions/domain/policy/outcome';

const now = new Date('2026-01-31T12:00:00Z');
const no: ActionAnswer = { allowed: false, policies: [] };
const yes = (id: string, annotations: { reason?: string; maxDuration?: string } = {}): ActionAnswer => ({
  allowed: true,
  policies: [{ id, reason: annotations.reason ?? null, maxDuration: annotations.maxDuration ?? null }],
});

/** Answers as a policy set would, recording the questions asked. */
function answers(allowed: Partial<Record<PolicyAction, ActionAnswer>>, asked: PolicyAction[] = []) {
  return (action: PolicyAction) => {
    asked.push(action);
    return allowed[action] ?? no;
  };
}

describe('how policy answers combine into an outcome', () => {
  it('lets autoReject win over autoApprove and every stage', () => {
    // Act
    const outcome = decideOutcome(
      'v1',
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
    const outcome = decideOutcome('v1', answers({ autoApprove: yes('ok'), requireSecurity: yes('s') }), now);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'auto_approved', policyIds: ['ok'], stages: [] });
  });

  it('orders stages manager, system owner, security, whatever order policies name them in', () => {
    // Act
    const outcome = decideOutcome(
      'v1',
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
    const outcome = decideOutcome('v1', answers({}), now);
    // Assess
    expect(outcome).toMatchObject({ outcome: 'auto_rejected', policyIds: [], reason: NO_POLICY_APPLIES });
  });

  it('takes the tightest cap, comparing calendar months as they fall from now', () => {
    // Prepare: from 31 January, P1M ends on 28 February, before P30D does
    const outcome = decideOutcome(
      'v1',
      answers({
        requireManager: yes('thirty-days', { maxDuration: 'P30D' }),
        requireSystemOwner: yes('one-month', { maxDuration: 'P1M' }),
      }),
      now,
    );
    // Assess
    expect(outcome.cap).toEqual({ max: 'P1M', policyId: 'one-month' });
  });

  it('asks only the questions the outcome depends on, each being a call to Cedar', () => {
    // Prepare
    const rejectedAsked: PolicyAction[] = [];
    const approvedAsked: PolicyAction[] = [];
    const stagedAsked: PolicyAction[] = [];
    // Act
    decideOutcome('v1', answers({ autoReject: yes('no'), requireManager: yes('m') }, rejectedAsked), now);
    decideOutcome('v1', answers({ autoApprove: yes('ok') }, approvedAsked), now);
    decideOutcome('v1', answers({ requireManager: yes('m') }, stagedAsked), now);
    // Assess
    expect(rejectedAsked).toEqual(['autoReject']);
    expect(approvedAsked).toEqual(['autoReject', 'autoApprove']);
    expect(stagedAsked).toEqual([
      'autoReject',
      'autoApprove',
      'requireManager',
      'requireSystemOwner',
      'requireSecurity',
    ]);
  });
});
