import { describe, expect, it } from 'vitest';
import {
  type Delegation,
  delegationProblems,
  delegationStatus,
  withDelegates,
} from '../../../functions/domain/delegations';
import type { Identity } from '../../../functions/domain/directory';
import type { StageRules } from '../../../functions/domain/separation-of-duties';
import { person, serviceAccount } from './fixtures';

const NOW = new Date('2026-03-02T09:00:00.000Z');
const hours = (n: number) => new Date(NOW.getTime() + n * 3600_000).toISOString();

/** Erin's delegation to `delegate`, from `from` until `until` hours from now. */
function delegation(overrides: Partial<Delegation> = {}): Delegation {
  return {
    id: `d-${overrides.delegate ?? 'paula@x.com'}`,
    owner: 'erin@x.com',
    delegate: 'paula@x.com',
    from: hours(-1),
    until: hours(24),
    createdAt: hours(-2),
    createdBy: overrides.owner ?? 'erin@x.com',
    deletedAt: null,
    deletedBy: null,
    ...overrides,
  };
}

/** Alex's ticket, one stage that Erin (his manager) approves; the directory knows these people. */
function stage(
  overrides: Partial<StageRules> = {},
  people: Identity[] = [person('paula@x.com'), person('bo@x.com'), person('alex@x.com')],
) {
  return {
    requester: 'alex@x.com',
    beneficiary: 'alex@x.com',
    beneficiaryOwner: null,
    approvals: [{ stage: 'manager', decidedBy: null }],
    stageIndex: 0,
    soleFulfiller: null,
    people: new Map(people.map((identity) => [identity.id, identity])),
    ...overrides,
  };
}

describe('withDelegates', () => {
  it('asks the delegate of an approver whose delegation is in force alongside them, recording whose delegate they are', () => {
    // Act
    const asked = withDelegates(['erin@x.com'], [delegation()], NOW, stage());

    // Assess
    expect(asked).toEqual({
      candidates: ['erin@x.com', 'paula@x.com'],
      delegates: { 'paula@x.com': ['erin@x.com'] },
    });
  });

  it('asks nobody more for a delegation that starts later, has ended, or was deleted', () => {
    // Prepare
    const notInForce = [
      delegation({ id: 'later', from: hours(1), until: hours(48) }),
      delegation({ id: 'ended', from: hours(-48), until: hours(-1) }),
      delegation({ id: 'ends-now', from: hours(-48), until: hours(0) }),
      delegation({ id: 'deleted', deletedAt: hours(-1), deletedBy: 'erin@x.com' }),
    ];

    // Act
    const asked = withDelegates(['erin@x.com'], notInForce, NOW, stage());

    // Assess
    expect(asked).toEqual({ candidates: ['erin@x.com'], delegates: {} });
  });

  it('does not add a delegate who is the requester, the beneficiary or its owner', () => {
    // Prepare
    const rules = stage({ requester: 'bo@x.com', beneficiary: 'svc:ci', beneficiaryOwner: 'paula@x.com' }, [
      person('bo@x.com'),
      person('paula@x.com'),
      serviceAccount('svc:ci', 'paula@x.com'),
    ]);
    const delegations = ['bo@x.com', 'paula@x.com', 'svc:ci'].map((delegate) => delegation({ delegate }));

    // Act
    const asked = withDelegates(['erin@x.com'], delegations, NOW, rules);

    // Assess
    expect(asked).toEqual({ candidates: ['erin@x.com'], delegates: {} });
  });

  it('does not add a delegate who decided another stage of the ticket', () => {
    // Prepare
    const rules = stage({
      approvals: [
        { stage: 'manager', decidedBy: 'paula@x.com' },
        { stage: 'system_owner', decidedBy: null },
      ],
      stageIndex: 1,
    });

    // Act
    const asked = withDelegates(['erin@x.com'], [delegation()], NOW, rules);

    // Assess
    expect(asked.candidates).toEqual(['erin@x.com']);
  });

  it("does not add a one-stage ticket's sole fulfiller, nor anyone not active or not in the directory", () => {
    // Prepare
    const rules = stage({ soleFulfiller: 'ian@x.com' }, [
      person('ian@x.com'),
      person('sue@x.com', { status: 'suspended' }),
    ]);
    const delegations = ['ian@x.com', 'sue@x.com', 'ghost@x.com'].map((delegate) => delegation({ delegate }));

    // Act
    const asked = withDelegates(['erin@x.com'], delegations, NOW, rules);

    // Assess
    expect(asked.candidates).toEqual(['erin@x.com']);
  });

  it('asks a delegate once for several approvers, and not at all when they are asked already', () => {
    // Prepare: a security-group stage of Sam and Sara, both delegating to Paula; Sam also to Sara.
    const delegations = [
      delegation({ id: 'sam-paula', owner: 'sam@x.com' }),
      delegation({ id: 'sara-paula', owner: 'sara@x.com' }),
      delegation({ id: 'sam-sara', owner: 'sam@x.com', delegate: 'sara@x.com' }),
    ];

    // Act
    const asked = withDelegates(['sam@x.com', 'sara@x.com'], delegations, NOW, stage());

    // Assess
    expect(asked).toEqual({
      candidates: ['sam@x.com', 'sara@x.com', 'paula@x.com'],
      delegates: { 'paula@x.com': ['sam@x.com', 'sara@x.com'] },
    });
  });

  it("does not chain: a delegate's own delegate is not asked", () => {
    // Prepare
    const delegations = [
      delegation(),
      delegation({ id: 'paula-bo', owner: 'paula@x.com', delegate: 'bo@x.com' }),
    ];

    // Act
    const asked = withDelegates(['erin@x.com'], delegations, NOW, stage());

    // Assess
    expect(asked.candidates).toEqual(['erin@x.com', 'paula@x.com']);
  });
});

describe('a delegation as it is set', () => {
  const request = { delegate: 'paula@x.com', from: hours(0), until: hours(24) };

  it('is accepted for an active person, ending in the future within 90 days of its start', () => {
    // Act
    const problems = delegationProblems('erin@x.com', request, person('paula@x.com'), NOW);

    // Assess
    expect(problems).toEqual({});
  });

  it('is refused, naming the field, for oneself, a service account, or someone not active or unknown', () => {
    // Act
    const refusals = [
      delegationProblems('paula@x.com', request, person('paula@x.com'), NOW),
      delegationProblems('erin@x.com', request, serviceAccount('paula@x.com', 'bo@x.com'), NOW),
      delegationProblems('erin@x.com', request, person('paula@x.com', { status: 'departed' }), NOW),
      delegationProblems('erin@x.com', request, undefined, NOW),
    ];

    // Assess
    expect(refusals).toEqual([
      { delegate: 'is you: name someone to be asked alongside you' },
      { delegate: 'is a service account, not a person' },
      { delegate: 'is departed' },
      { delegate: 'is not in the directory' },
    ]);
  });

  it('is refused on `until` when it ends before it starts, has ended, or spans more than 90 days', () => {
    // Prepare
    const paula = person('paula@x.com');

    // Act
    const refusals = [
      delegationProblems('erin@x.com', { ...request, until: hours(0) }, paula, NOW),
      delegationProblems('erin@x.com', { ...request, from: hours(-48), until: hours(-1) }, paula, NOW),
      delegationProblems('erin@x.com', { ...request, until: hours(90 * 24 + 1) }, paula, NOW),
    ];

    // Assess
    expect(refusals).toEqual([
      { until: 'must be after from' },
      { until: 'must be in the future' },
      { until: 'must be at most 90 days after from' },
    ]);
  });

  it('reads as upcoming, active, ended or deleted by the time', () => {
    // Act
    const statuses = [
      delegation({ from: hours(1) }),
      delegation(),
      delegation({ from: hours(-48), until: hours(-1) }),
      delegation({ deletedAt: hours(-1), deletedBy: 'erin@x.com' }),
    ].map((each) => delegationStatus(each, NOW));

    // Assess
    expect(statuses).toEqual(['upcoming', 'active', 'ended', 'deleted']);
  });
});
