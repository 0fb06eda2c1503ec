import { describe, expect, it } from 'vitest';
import { explainApproval } from '../../../functions/domain/policy/explain';
import type { Approval, Decision } from '../../../functions/domain/ticket';
import { unopenedWait } from '../domain/tickets';

const stage = (name: string): Approval => ({
  stage: name,
  candidates: [],
  decidedBy: null,
  decision: null,
  at: null,
  comment: null,
  via: null,
  deadline: null,
  ...unopenedWait,
  path: [],
});

const decision: Decision = {
  outcome: 'approval_required',
  stages: ['manager', 'system_owner', 'security'],
  policyIds: ['manager-approval', 'high-admin-system-owner', 'critical-admin-security'],
  version: 'v1',
  reason: null,
  askedBy: {
    manager: ['manager-approval'],
    system_owner: ['high-admin-system-owner'],
    security: ['critical-admin-security'],
  },
  policyReasons: {
    'manager-approval': 'every access request needs the manager',
    'high-admin-system-owner': 'admin rights on a high or critical system need the system owner',
    'critical-admin-security': 'admin rights on a critical system need security',
  },
  cap: null,
  inputs: null,
};
const ticket = { approvals: [stage('manager'), stage('system_owner'), stage('security')], decision };
const names = { beneficiary: 'Alex Developer', owner: null, system: 'AWS production account' };

describe('why an approver is asked', () => {
  it('names the role, the stages after it, and the rule that asked for the stage', () => {
    expect(explainApproval(ticket, 0, names)).toBe(
      "Needs your approval as Alex Developer's manager, and then the system owner's and security's, because every access request needs the manager (rule manager-approval).",
    );
  });

  it('says which approvals came before a later stage', () => {
    expect(explainApproval(ticket, 2, names)).toBe(
      "Needs your approval as a member of the security group (the first decision wins), after the manager's and the system owner's approval, because admin rights on a critical system need security (rule critical-admin-security).",
    );
  });

  it("asks for a service account's owner's manager by naming both", () => {
    expect(
      explainApproval({ approvals: [stage('manager')], decision }, 0, {
        beneficiary: 'CI deployer',
        owner: 'Bo Developer',
        system: 'GitHub',
      }),
    ).toBe(
      'Needs your approval as the manager of Bo Developer, who owns CI deployer, because every access request needs the manager (rule manager-approval).',
    );
  });

  it('still reads well for a ticket decided before policies recorded their reasons', () => {
    expect(explainApproval({ approvals: [stage('system_owner')], decision: null }, 0, names)).toBe(
      'Needs your approval as the owner of AWS production account.',
    );
  });
});
