import { describe, expect, it } from 'vitest';
import { grantFrom, grantSchema, grantView } from '../../../functions/domain/grants';
import {
  endGrant,
  openRevocation,
  recordRevocationConfirmed,
  requestRevocation,
  revocationToBegin,
} from '../../../functions/domain/revocation';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { completeFulfilment } from '../../../functions/domain/workflow';
import { endingAt, fulfilmentBy, ticket } from './tickets';

const from = '2026-01-02T09:00:00.000Z';

/** An access ticket whose fulfilment was just reported done, for `duration` (null: standing). */
function fulfilled(duration: string | null, overrides: Partial<Ticket> = {}): Ticket {
  return completeFulfilment(
    ticket({
      status: 'fulfilling',
      duration,
      fulfilment: fulfilmentBy(['ops@x.com'], { result: 'done', by: 'ops@x.com', at: from }),
      ...overrides,
    }),
    new Date(from),
  );
}

describe('the grant a fulfilled access ticket creates', () => {
  it('names who holds what, from when, until when, by which ticket, active, with one chained event', () => {
    // Prepare
    const granted = fulfilled('P7D', { beneficiary: 'svc:ci' });

    // Act
    const grant = grantFrom(granted);

    // Assess
    expect(grant && grantView(grant)).toEqual({
      id: `G${granted.id}`,
      holder: 'svc:ci',
      system: 'wiki',
      entitlement: 'wiki-read',
      ticket: granted.id,
      from,
      until: '2026-01-09T09:00:00.000Z',
      status: 'active',
      endReason: null,
      overdue: false,
    });
    expect(grant?.events).toMatchObject([{ seq: 1, type: 'granted', at: from, from: null, to: 'active' }]);
    expect(grant?.revocationDueAt).toBe('2026-01-09T09:00:00.000Z');
    expect(findBrokenLink(grant?.events ?? [])).toBeNull();
    expect(grantSchema.safeParse(grant).success).toBe(true);
  });

  it('records standing access with no end, never due for revocation', () => {
    // Act
    const grant = grantFrom(fulfilled(null));

    // Assess
    expect(grant).toMatchObject({ until: null, status: 'active', endReason: null, revocationDueAt: null });
    expect(grant?.events[0]?.data).toEqual({ ticket: '01J0000000000000000000000', until: null });
  });

  it('is the same record, event hashes included, each time it is derived from the same ticket', () => {
    // Prepare
    const granted = fulfilled('P7D');

    // Act + Assess
    expect(grantFrom(granted)).toEqual(grantFrom(structuredClone(granted)));
  });

  it('is none for a ticket that granted nothing, or that names no entitlement', () => {
    // Act + Assess
    expect(grantFrom(ticket())).toBeNull();
    expect(grantFrom(fulfilled(null, { type: 'support', system: null, entitlement: null }))).toBeNull();
  });

  it('shows a tampered event as the broken link of its chain', () => {
    // Prepare
    const grant = grantFrom(fulfilled(null));
    const events = (grant?.events ?? []).map((event) => ({ ...event, at: '2025-01-01T00:00:00.000Z' }));

    // Act + Assess
    expect(findBrokenLink(events)).toBe(1);
  });

  it('follows its revocation: revoking while asked for, ended with its reason once confirmed, each step an event of its own', () => {
    // Prepare
    const granted = fulfilled('P7D');
    const asked = requestRevocation(granted, {
      reason: 'revoked',
      by: 'owner@x.com',
      note: 'project over',
      at: '2026-01-03T09:00:00.000Z',
    });
    const begun = revocationToBegin(asked, `G${granted.id}-revoke`, null, '2026-01-03T09:00:01.000Z');
    const opened =
      begun &&
      openRevocation(begun, {
        fulfillers: ['ops@x.com'],
        coveredBy: null,
        deadlines: endingAt('2026-01-04T09:00:00.000Z'),
        at: '2026-01-03T09:00:01.000Z',
      });
    const confirmed =
      opened &&
      recordRevocationConfirmed(opened, {
        by: 'ops@x.com',
        comment: 'removed from the org',
        at: '2026-01-03T10:00:00.000Z',
        via: 'link',
      });
    const ended = confirmed && endGrant(confirmed, '2026-01-03T10:00:01.000Z');

    // Act
    const whileAsked = grantFrom(asked);
    const whileOpen = opened && grantFrom(opened);
    const afterwards = ended && grantFrom(ended);

    // Assess
    expect(whileAsked).toMatchObject({ status: 'revoking', revocationDueAt: '2026-01-03T09:00:00.000Z' });
    expect(whileOpen).toMatchObject({ status: 'revoking', revocationDueAt: null });
    expect(afterwards).toMatchObject({ status: 'ended', endReason: 'revoked', revocationDueAt: null });
    expect(afterwards?.events.map((event) => [event.type, event.from, event.to])).toEqual([
      ['granted', null, 'active'],
      ['revocation_requested', 'active', 'revoking'],
      ['revocation_started', 'revoking', 'revoking'],
      ['revocation_confirmed', 'revoking', 'revoking'],
      ['grant_ended', 'revoking', 'ended'],
    ]);
    expect(findBrokenLink(afterwards?.events ?? [])).toBeNull();
    expect(ended).toMatchObject({ status: 'closed', closure: 'revoked' });
  });
});
