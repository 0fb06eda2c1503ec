import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import {
  createTableInput,
  idsSubmitted,
  keys,
  partitionQuery,
  partitions,
  table,
} from '../../../functions/adapters/dynamodb/table';
import { cancel, recordExecutionStopped } from '../../../functions/domain/cancellation';
import { applyChange, type Ticket } from '../../../functions/domain/ticket';
import { submittedTicket } from '../../support/ticket-factory';

/** The ticket after one more change, made at `at`. */
const moved = (ticket: Ticket, at: string, change: Partial<Parameters<typeof applyChange>[1]>): Ticket =>
  applyChange(ticket, { type: 'step', at, actor: 'tollgate', ...change });

const grantEvent = {
  type: 'granted',
  actor: 'tollgate',
  reason: null,
  from: null,
  to: 'active' as const,
  data: {},
  prev: '0'.repeat(64),
  hash: 'f'.repeat(64),
};

describe('the table schema', () => {
  it('keeps within DynamoDB quotas and projects no index ALL', () => {
    // Act
    const { GlobalSecondaryIndexes: indexes } = createTableInput('tollgate');

    // Assess: 20 indexes a table; 100 INCLUDE attributes over all of them, at most 20 in one
    expect(indexes.length).toBeLessThanOrEqual(20);
    expect(indexes.map((index) => index.Projection.ProjectionType)).not.toContain('ALL');
    const included = indexes.map((index) => index.Projection.NonKeyAttributes?.length ?? 0);
    expect(included.reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(100);
    expect(Math.max(...included)).toBeLessThanOrEqual(20);
  });

  it('places every partition that a query reads in the table or in one of its indexes', () => {
    // Prepare
    const indexNames = table.indexes.map((index) => index.name);

    for (const [name, { index }] of Object.entries(partitions)) {
      // Act
      const query = partitionQuery(name as keyof typeof partitions, 'x');

      // Assess
      if (index) expect(indexNames, name).toContain(query.IndexName);
      else expect(query, name).not.toHaveProperty('IndexName');
    }
  });

  it('files a ticket under its beneficiary while in flight, then under the day it was resolved, which a revocation does not move', () => {
    // Prepare
    const submitted = submittedTicket({ beneficiary: 'bo.dev@example.com' });
    const fulfilling = moved(submitted, '2026-11-30T09:00:00.000Z', { to: 'fulfilling' });
    const active = moved(fulfilling, '2026-11-30T23:59:00.000Z', { to: 'active' });
    const revoking = moved(active, '2026-12-07T23:59:00.000Z', { to: 'revoking' });

    // Act
    const [whileInFlight, onceGranted, whileRevoking] = [fulfilling, active, revoking].map(keys.ticket);

    // Assess
    expect(whileInFlight).toMatchObject({
      gsi5pk: 'INFLIGHT#bo.dev@example.com',
      gsi5sk: `fulfilling#${submitted.id}`,
    });
    expect(onceGranted).toMatchObject({ gsi5pk: 'RESOLVED#2026-11-30', gsi5sk: submitted.id });
    expect(whileRevoking).toMatchObject({ gsi5pk: 'RESOLVED#2026-11-30' });
  });

  it('files a ticket under the hour of its last change, so changes within an hour leave its entry in place', () => {
    // Prepare
    const submitted = submittedTicket();
    const first = moved(submitted, '2026-11-30T09:05:00.000Z', { to: 'pending_approval' });
    const second = moved(first, '2026-11-30T09:55:00.000Z', {});
    const third = moved(second, '2026-11-30T10:01:00.000Z', {});

    // Act
    const [a, b, c] = [first, second, third].map((ticket) => keys.ticket(ticket).gsi6pk);

    // Assess
    expect([a, b, c]).toEqual(['CHANGED#2026-11-30T09', 'CHANGED#2026-11-30T09', 'CHANGED#2026-11-30T10']);
  });

  it('files an access ticket under its system and a support ticket under none', () => {
    // Act
    const access = keys.ticket(submittedTicket({ system: 'github' }));
    const support = keys.ticket(submittedTicket({ type: 'support', system: null, entitlement: null }));

    // Assess
    expect(access).toMatchObject({ gsi4pk: 'SYSTEM#github' });
    expect(support).not.toHaveProperty('gsi4pk');
    expect(support).not.toHaveProperty('gsi4sk');
  });

  it('files a cancelled ticket under STOP_DUE from the write that cancels it until its stop is recorded', () => {
    // Prepare
    const submitted = submittedTicket({ requester: 'bo.dev@example.com' });
    const cancelled = cancel(submitted, {
      by: 'bo.dev@example.com',
      cause: 'requester',
      reason: null,
      at: '2026-11-30T09:00:00.000Z',
    });
    const stopped = recordExecutionStopped(cancelled, '2026-11-30T09:00:01.000Z', 'stopped');

    // Act
    const [before, whileDue, afterStop] = [submitted, cancelled, stopped].map(keys.ticket);

    // Assess
    expect(before).not.toHaveProperty('gsi7pk');
    expect(whileDue).toMatchObject({ gsi7pk: 'STOP_DUE', gsi7sk: submitted.id });
    expect(afterStop).not.toHaveProperty('gsi7pk');
    expect(afterStop).not.toHaveProperty('gsi7sk');
  });

  it('lists an identity under its manager and owner only when it has them', () => {
    // Act
    const person = keys.identity({
      id: 'alex.dev@example.com',
      managerId: 'erin.lead@example.com',
      ownerId: null,
    });
    const account = keys.identity({ id: 'svc-billing', managerId: null, ownerId: 'alex.dev@example.com' });

    // Assess
    expect(person).toMatchObject({ gsi1pk: 'MANAGER#erin.lead@example.com', gsi3pk: 'DIRECTORY' });
    expect(person).not.toHaveProperty('gsi2pk');
    expect(account).toMatchObject({ gsi2pk: 'OWNER#alex.dev@example.com', gsi3pk: 'DIRECTORY' });
    expect(account).not.toHaveProperty('gsi1pk');
  });

  it('sorts grants due for revocation by when they are due, and files what is held by system and entitlement', () => {
    // Act
    const grant = keys.grant({
      id: 'g1',
      holder: 'alex.dev@example.com',
      system: 'github',
      entitlement: 'github-admin',
      until: '2026-12-01T00:00:00.000Z',
      revocationDueAt: '2026-12-01T00:00:00.000Z',
      noticeDueAt: '2026-11-30T00:00:00.000Z',
      status: 'active',
      events: [],
    });

    // Assess
    expect(grant).toMatchObject({
      gsi5pk: 'REVOKE_DUE',
      gsi5sk: '2026-12-01T00:00:00.000Z#g1',
      gsi7pk: 'HELD#alex.dev@example.com',
      gsi7sk: 'github#github-admin#g1',
      gsi3pk: 'NOTICE_DUE',
      gsi3sk: '2026-11-30T00:00:00.000Z#g1',
    });
    expect(grant).not.toHaveProperty('gsi2pk');
  });

  it('lists a standing grant under its holder and system, and among the active standing ones, never as due for revocation', () => {
    // Act
    const grant = keys.grant({
      id: 'g2',
      holder: 'alex.dev@example.com',
      system: 'github',
      entitlement: 'github-read',
      until: null,
      revocationDueAt: null,
      noticeDueAt: null,
      status: 'active',
      events: [],
    });

    // Assess
    expect(grant).toMatchObject({
      gsi1pk: 'HOLDER#alex.dev@example.com',
      gsi1sk: 'g2',
      gsi4pk: 'GRANTED#github',
      gsi4sk: 'g2',
      gsi2pk: 'STANDING#github',
      gsi2sk: 'g2',
    });
    expect(grant).not.toHaveProperty('gsi5pk');
  });

  it('takes a standing grant out of the active standing ones once it begins to end', () => {
    // Act
    const grant = keys.grant({
      id: 'g3',
      holder: 'alex.dev@example.com',
      system: 'github',
      entitlement: 'github-read',
      until: null,
      revocationDueAt: '2026-12-01T00:00:00.000Z',
      noticeDueAt: null,
      status: 'revoking',
      events: [],
    });

    // Assess
    expect(grant).not.toHaveProperty('gsi2pk');
  });

  it('lists a grant among the changes of the hour of its last event', () => {
    // Act
    const grant = keys.grant({
      id: 'g4',
      holder: 'alex.dev@example.com',
      system: 'github',
      entitlement: 'github-read',
      until: null,
      revocationDueAt: null,
      noticeDueAt: null,
      status: 'active',
      events: [
        { ...grantEvent, seq: 1, at: '2026-12-01T09:59:00.000Z' },
        { ...grantEvent, seq: 2, at: '2026-12-01T10:05:00.000Z' },
      ],
    });

    // Assess
    expect(grant).toMatchObject({ gsi6pk: 'CHANGED#2026-12-01T10', gsi6sk: 'GRANT#g4' });
  });

  it('keeps an ended grant listed under its holder and system, no longer held nor due, and among their ended ones by when it ended', () => {
    // Act
    const grant = keys.grant({
      id: 'g3',
      holder: 'alex.dev@example.com',
      system: 'github',
      entitlement: 'github-admin',
      until: null,
      revocationDueAt: null,
      noticeDueAt: null,
      status: 'ended',
      events: [
        { ...grantEvent, seq: 1, type: 'grant_ended', to: 'ended' as const, at: '2026-12-01T10:05:00.000Z' },
      ],
    });

    // Assess
    expect(grant).toMatchObject({ gsi1pk: 'HOLDER#alex.dev@example.com', gsi4pk: 'GRANTED#github' });
    expect(grant).not.toHaveProperty('gsi5pk');
    expect(grant).toMatchObject({
      gsi7pk: 'ENDED#alex.dev@example.com',
      gsi7sk: 'github#github-admin#2026-12-01T10:05:00.000Z#g3',
    });
    expect(grant).not.toHaveProperty('gsi2pk');
    expect(grant).not.toHaveProperty('gsi3pk');
  });

  it('takes the ids of a period as a range: every ULID made in it, and none made a millisecond outside', () => {
    // Prepare
    const from = Date.parse('2026-03-01T00:00:00.000Z');
    const to = Date.parse('2026-03-31T23:59:59.999Z');
    // Act
    const { low, high } = idsSubmitted({ from: new Date(from), to: new Date(to) });
    const inside = [from, from + 1, Date.parse('2026-03-15T12:00:00.000Z'), to].map((at) => ulid(at));
    const outside = [from - 1, to + 1].map((at) => ulid(at));
    // Assess
    expect(inside.every((id) => id >= low && id <= high)).toBe(true);
    expect(outside.some((id) => id >= low && id <= high)).toBe(false);
  });
});
