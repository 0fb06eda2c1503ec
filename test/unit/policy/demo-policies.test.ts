import { describe, expect, it } from 'vitest';
import { compilePolicyFolder } from '../../../functions/adapters/cedar/policy-files';
import type { Entitlement, Identity, System } from '../../../functions/domain/directory';
import { policyInputs } from '../../../functions/domain/policy/inputs';
import { decideOutcome } from '../../../functions/domain/policy/outcome';
import { policiesFolder } from '../../support/policies';
import { person, serviceAccount } from '../domain/fixtures';

/**
 * The demo set in policies/, as `npm start` seeds it and the stack deploys it: one case per rule,
 * each decided by Cedar on inputs built as intake builds them.
 */
const { compiled } = compilePolicyFolder(policiesFolder);
const now = new Date('2026-06-01T09:00:00Z');

const owner = person('owner@x.com', { department: 'IT' });
const manager = person('manager@x.com', { department: 'IT' });
const colleague = person('colleague@x.com', { department: 'IT', managerId: manager.id });
const outsider = person('outsider@x.com', { department: 'Sales', managerId: manager.id });

function entitlement(id: string, overrides: Partial<Entitlement> = {}): Entitlement {
  return { id, name: id, class: 'read', maxDuration: null, conflictsWith: [], ...overrides };
}

function system(sensitivity: System['sensitivity'], entitlements: Entitlement[]): System {
  return {
    id: `sys-${sensitivity}`,
    name: sensitivity,
    ownerId: owner.id,
    sensitivity,
    fulfilment: { mode: 'manual', fulfillers: ['fulfiller@x.com'] },
    entitlements,
  };
}

function decide(request: {
  beneficiary: Identity;
  system: System;
  entitlement: Entitlement;
  people?: Identity[];
  holds?: string[];
  duration?: string;
}) {
  const people = [owner, manager, ...(request.people ?? [])];
  const inputs = policyInputs({
    requester: request.beneficiary.kind === 'service' ? colleague : request.beneficiary,
    beneficiary: request.beneficiary,
    people: new Map(people.map((identity) => [identity.id, identity])),
    system: request.system,
    entitlement: request.entitlement,
    catalog: [request.system],
    urgency: 'normal',
    duration: request.duration ?? null,
    justification: 'Needed for the quarterly close',
    evidenceCount: 0,
    holds: request.holds ?? [],
    now,
  });
  return decideOutcome(compiled.version, compiled.answers(inputs), now);
}

const read = entitlement('read');
const write = entitlement('write', { class: 'write' });
const admin = entitlement('admin', { class: 'admin' });
const payrollWrite = entitlement('payroll-write', { class: 'write', conflictsWith: ['payroll-approve'] });
const payrollApprove = entitlement('payroll-approve', { class: 'write' });

describe('the demo policy set', () => {
  const cases: {
    name: string;
    request: Parameters<typeof decide>[0];
    outcome: string;
    policyIds: string[];
    stages?: string[];
  }[] = [
    {
      name: 'auto-approves read access to a low-sensitivity system for the owner’s department',
      request: { beneficiary: colleague, system: system('low', [read]), entitlement: read },
      outcome: 'auto_approved',
      policyIds: ['low-risk-read-same-department'],
    },
    {
      name: 'asks the manager for the same read access from another department',
      request: { beneficiary: outsider, system: system('low', [read]), entitlement: read },
      outcome: 'approval_required',
      policyIds: ['manager-approval'],
      stages: ['manager'],
    },
    {
      name: 'asks the manager for read access to a moderate system, even in the owner’s department',
      request: { beneficiary: colleague, system: system('moderate', [read]), entitlement: read },
      outcome: 'approval_required',
      policyIds: ['manager-approval'],
      stages: ['manager'],
    },
    {
      name: 'never auto-approves a service account, whatever its department',
      request: {
        beneficiary: { ...serviceAccount('svc:robot', colleague.id), department: 'IT' },
        system: system('low', [read]),
        entitlement: read,
        people: [colleague],
      },
      outcome: 'approval_required',
      policyIds: ['manager-approval'],
      stages: ['manager'],
    },
    {
      name: 'asks only the manager for write access to a critical system',
      request: { beneficiary: outsider, system: system('critical', [write]), entitlement: write },
      outcome: 'approval_required',
      policyIds: ['manager-approval'],
      stages: ['manager'],
    },
    {
      name: 'adds the system owner for admin on a high system',
      request: { beneficiary: outsider, system: system('high', [admin]), entitlement: admin },
      outcome: 'approval_required',
      policyIds: ['manager-approval', 'high-admin-system-owner'],
      stages: ['manager', 'system_owner'],
    },
    {
      name: 'adds the system owner and security for admin on a critical system',
      request: { beneficiary: outsider, system: system('critical', [admin]), entitlement: admin },
      outcome: 'approval_required',
      policyIds: ['manager-approval', 'high-admin-system-owner', 'critical-admin-security'],
      stages: ['manager', 'system_owner', 'security'],
    },
    {
      name: 'refuses a service account whose owner has departed',
      request: {
        beneficiary: serviceAccount('svc:orphan', 'gone@x.com'),
        system: system('moderate', [read]),
        entitlement: read,
        people: [person('gone@x.com', { status: 'departed' })],
      },
      outcome: 'auto_rejected',
      policyIds: ['service-account-owner-inactive'],
    },
    {
      name: 'refuses a service account whose owner is suspended',
      request: {
        beneficiary: serviceAccount('svc:orphan', 'away@x.com'),
        system: system('moderate', [read]),
        entitlement: read,
        people: [person('away@x.com', { status: 'suspended' })],
      },
      outcome: 'auto_rejected',
      policyIds: ['service-account-owner-inactive'],
    },
    {
      name: 'refuses a departed beneficiary, even where read access would be approved at once',
      request: {
        beneficiary: { ...colleague, status: 'departed' },
        system: system('low', [read]),
        entitlement: read,
      },
      outcome: 'auto_rejected',
      policyIds: ['inactive-beneficiary'],
    },
    {
      name: 'refuses a suspended beneficiary',
      request: {
        beneficiary: { ...outsider, status: 'suspended' },
        system: system('moderate', [read]),
        entitlement: read,
      },
      outcome: 'auto_rejected',
      policyIds: ['inactive-beneficiary'],
    },
    {
      name: 'refuses an entitlement that conflicts with one held',
      request: {
        beneficiary: outsider,
        system: system('high', [payrollWrite, payrollApprove]),
        entitlement: payrollWrite,
        holds: ['payroll-approve'],
      },
      outcome: 'auto_rejected',
      policyIds: ['toxic-combination'],
    },
    {
      name: 'refuses a conflict declared only on the entitlement held: conflicts are read both ways',
      request: {
        beneficiary: outsider,
        system: system('high', [payrollWrite, payrollApprove]),
        entitlement: payrollApprove,
        holds: ['payroll-write'],
      },
      outcome: 'auto_rejected',
      policyIds: ['toxic-combination'],
    },
    {
      name: 'lets through an entitlement held alongside one that does not conflict',
      request: {
        beneficiary: outsider,
        system: system('high', [payrollWrite, payrollApprove, read]),
        entitlement: payrollWrite,
        holds: ['read'],
      },
      outcome: 'approval_required',
      policyIds: ['manager-approval'],
      stages: ['manager'],
    },
  ];

  it.each(cases)('$name', ({ request, outcome, policyIds, stages }) => {
    // Act
    const decided = decide(request);
    // Assess
    expect(decided.outcome).toBe(outcome);
    expect(decided.policyIds).toEqual(policyIds);
    if (stages) expect(decided.stages.map((stage) => stage.stage)).toEqual(stages);
    expect(decided.version).toBe(compiled.version);
  });

  it('caps admin on a critical system at 8 hours, naming the policy, and gives the reasons in words', () => {
    // Act
    const decided = decide({
      beneficiary: outsider,
      system: system('critical', [admin]),
      entitlement: admin,
    });
    // Assess
    expect(decided.cap).toEqual({ max: 'PT8H', policyId: 'critical-admin-security' });
    expect(decided.reason).toContain('admin rights on a critical system need security');
  });

  it('gives a refusal its policy’s reason for the requester to read', () => {
    // Act
    const decided = decide({
      beneficiary: serviceAccount('svc:orphan', 'gone@x.com'),
      system: system('moderate', [read]),
      entitlement: read,
      people: [person('gone@x.com', { status: 'departed' })],
    });
    // Assess
    expect(decided.reason).toBe(
      "the service account's owner has departed or is suspended, so nobody is accountable for it",
    );
  });
});
