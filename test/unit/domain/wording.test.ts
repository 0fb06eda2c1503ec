import { describe, expect, it } from 'vitest';
import type { System } from '../../../functions/domain/directory';
import { whatWasRecorded } from '../../../functions/domain/recorded';
import type { Approval, Decision } from '../../../functions/domain/ticket';
import {
  durationInWords,
  earlierApprovals,
  entitlementLabel,
  personLabel,
  policySentence,
  recordedInWords,
  ticketWords,
  whenInWords,
} from '../../../functions/domain/wording';
import { recordDecision, recordFulfilment } from '../../../functions/domain/workflow';
import { person, serviceAccount } from './fixtures';
import { ticket, unopenedWait } from './tickets';

const now = new Date('2026-12-01T09:48:00.000Z');

const github: System = {
  id: 'github',
  name: 'GitHub',
  ownerId: 'sam@x.com',
  sensitivity: 'high',
  fulfilment: { mode: 'manual', fulfillers: ['ian@x.com', 'bo@x.com'] },
  entitlements: [
    { id: 'github-write', name: 'Write access', class: 'write', maxDuration: null, conflictsWith: [] },
  ],
};

const people = new Map(
  [
    person('alex@x.com', { name: 'Alex Developer' }),
    person('erin@x.com', { name: 'Erin Manager' }),
    person('sam@x.com', { name: 'Sam Owner' }),
    person('ian@x.com', { name: 'Ian Ops' }),
    person('bo@x.com', { name: 'Bo Ops' }),
  ].map((identity) => [identity.id, identity]),
);

const stage = (name: string, overrides: Partial<Approval> = {}): Approval => ({
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
  ...overrides,
});

const decision: Decision = {
  outcome: 'approval_required',
  stages: ['manager', 'system_owner'],
  policyIds: ['manager-approval', 'owner-approval'],
  version: 'v1',
  reason: null,
  askedBy: { manager: ['manager-approval'], system_owner: ['owner-approval'] },
  policyReasons: {
    'manager-approval': 'every access request needs the manager',
    'owner-approval': 'write access needs the owner',
  },
  cap: null,
  inputs: null,
};

const request = ticket({
  requester: 'alex@x.com',
  beneficiary: 'alex@x.com',
  system: 'github',
  entitlement: 'github-write',
  status: 'pending_approval',
  decision,
  approvals: [
    stage('manager', {
      decidedBy: 'erin@x.com',
      decision: 'approve',
      at: '2026-11-30T09:48:00.000Z',
      candidates: ['erin@x.com'],
    }),
    stage('system_owner', { candidates: ['sam@x.com'] }),
  ],
  fulfilment: {
    mode: 'manual',
    fulfillers: ['ian@x.com', 'bo@x.com'],
    queue: null,
    result: null,
    by: null,
    at: null,
    note: null,
    deadline: null,
    ...unopenedWait,
  },
});
const words = ticketWords(request, github, people, now);

describe('the wording of emails and link pages', () => {
  it('reads a deadline three days away as such, with the day and the time on the clock', () => {
    // Act
    const words = whenInWords('2026-12-04T09:48:00.000Z', now);

    // Assess
    expect(words).toBe('in 3 days, Friday 4 December 09:48 UTC');
  });

  it('reads a deadline hours away in hours, and one in another year with its year', () => {
    // Act
    const soon = whenInWords('2026-12-01T14:48:00.000Z', now);
    const nextYear = whenInWords('2027-01-15T08:00:00.000Z', now, 'Europe/Paris');

    // Assess
    expect(soon).toBe('in 5 hours, Tuesday 1 December 14:48 UTC');
    expect(nextYear).toBe('in 45 days, Friday 15 January 2027 09:00 CET');
  });

  it('shows a person as "Name <email>", a service account with its id, and an unknown id as is', () => {
    // Act
    const known = personLabel('erin@x.com', people.get('erin@x.com'));
    const service = personLabel('svc:export', {
      ...serviceAccount('svc:export', 'erin@x.com'),
      name: 'Billing export',
    });
    const unknown = personLabel('gone@x.com', undefined);

    // Assess
    expect(known).toBe('Erin Manager <erin@x.com>');
    expect(service).toBe('Billing export (svc:export)');
    expect(unknown).toBe('gone@x.com');
  });

  it("names an entitlement by the catalog's name, with its id", () => {
    // Act
    const label = entitlementLabel(github, 'github-write');

    // Assess
    expect(label).toBe('Write access (github-write)');
  });

  it('says what policy asked for in a sentence, with its reasons and rules', () => {
    // Act
    const sentence = policySentence(decision);

    // Assess
    expect(sentence).toBe(
      'Policy asks for approval by the manager, then the system owner, because every access request needs the manager and write access needs the owner (rules manager-approval, owner-approval).',
    );
  });

  it('says that policy approved or refused a request by itself', () => {
    // Act
    const approved = policySentence({
      ...decision,
      outcome: 'auto_approved',
      stages: [],
      policyIds: ['low-risk-read'],
      policyReasons: { 'low-risk-read': 'reading a low-risk system is routine' },
      cap: { max: 'P7D', policyId: 'low-risk-read' },
    });
    const refused = policySentence({
      ...decision,
      outcome: 'auto_rejected',
      stages: [],
      policyIds: ['departed-owner'],
      policyReasons: {},
      reason: 'the owner of svc:legacy has left',
    });

    // Assess
    expect(approved).toBe(
      'Policy approved this without asking anyone, because reading a low-risk system is routine (rule low-risk-read). It allows at most 7 days (rule low-risk-read).',
    );
    expect(refused).toBe('Policy refused this: the owner of svc:legacy has left (rule departed-owner).');
  });

  it('names who approved the earlier stages, and when', () => {
    // Act
    const earlier = earlierApprovals(request, 1, words);

    // Assess
    expect(earlier).toEqual([
      'Erin Manager <erin@x.com>, as the manager, 24 hours ago, Monday 30 November 09:48 UTC',
    ]);
  });

  it('puts durations in words', () => {
    // Act
    const durations = ['P7D', 'PT1H30M', 'P1M'].map(durationInWords);

    // Assess
    expect(durations).toEqual(['7 days', '1 hour and 30 minutes', '1 month']);
    expect(durationInWords(null)).toBe('until revoked');
  });
});

describe('what an answer recorded', () => {
  it('after the last approval, goes to the eligible fulfillers and says so', () => {
    // Prepare
    const approved = recordDecision(request, 1, {
      by: 'sam@x.com',
      decision: 'approve',
      comment: null,
      via: 'link',
      at: now.toISOString(),
    });

    // Act
    const recorded = whatWasRecorded(approved);
    const { title, lines } = recordedInWords(recorded, approved, words);

    // Assess
    expect(recorded).toMatchObject({
      recorded: 'approved',
      stage: 'system_owner',
      by: 'sam@x.com',
      next: { step: 'fulfilment', asked: ['ian@x.com', 'bo@x.com'] },
    });
    expect(title).toBe('You approved the request');
    expect(lines.join(' ')).toContain(
      'Every approval is in. Next, Ian Ops <ian@x.com> and Bo Ops <bo@x.com> are asked to grant the access',
    );
  });

  it('after a denial, says the request is closed as denied and the requester is told', () => {
    // Prepare
    const denied = recordDecision(request, 1, {
      by: 'sam@x.com',
      decision: 'deny',
      comment: 'Not for this repository',
      via: 'link',
      at: now.toISOString(),
    });

    // Act
    const recorded = whatWasRecorded(denied);
    const { title, lines } = recordedInWords(recorded, denied, words);

    // Assess
    expect(recorded).toMatchObject({ recorded: 'denied', next: { step: 'closed', closure: 'rejected' } });
    expect(title).toBe('You denied the request');
    expect(lines).toContain(
      'The request is closed as denied, and Alex Developer <alex@x.com> is emailed, with your words. Nothing more is needed.',
    );
  });

  it('after a report of time-bound access done, says a grant follows', () => {
    // Prepare
    const reported = recordFulfilment(
      { ...request, status: 'fulfilling', duration: 'P7D' },
      { by: 'ian@x.com', result: 'done', note: null, at: now.toISOString(), via: 'inbox' },
    );

    // Act
    const recorded = whatWasRecorded(reported);

    // Assess
    expect(recorded).toMatchObject({ recorded: 'done', by: 'ian@x.com', next: { step: 'grant' } });
    expect(recordedInWords(recorded, reported, words).lines.join(' ')).toContain(
      'the access is recorded as granted for 7 days',
    );
  });
});
