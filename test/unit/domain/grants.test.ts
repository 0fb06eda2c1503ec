import { describe, expect, it } from 'vitest';
import { grantFrom, grantSchema, grantView } from '../../../functions/domain/grants';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { ticket } from './tickets';

const from = '2026-01-02T09:00:00.000Z';

describe('the grant a fulfilled access ticket creates', () => {
  it('names who holds what, from when, until when, by which ticket, active, with one chained event', () => {
    // Prepare
    const fulfilled = ticket({
      beneficiary: 'svc:ci',
      grant: { id: 'G01J0000000000000000000000', from, until: '2026-01-09T09:00:00.000Z' },
    });

    // Act
    const grant = grantFrom(fulfilled);

    // Assess
    expect(grant && grantView(grant)).toEqual({
      id: 'G01J0000000000000000000000',
      holder: 'svc:ci',
      system: 'wiki',
      entitlement: 'wiki-read',
      ticket: fulfilled.id,
      from,
      until: '2026-01-09T09:00:00.000Z',
      status: 'active',
      endReason: null,
    });
    expect(grant?.events).toMatchObject([{ seq: 1, type: 'granted', at: from, from: null, to: 'active' }]);
    expect(findBrokenLink(grant?.events ?? [])).toBeNull();
    expect(grantSchema.safeParse(grant).success).toBe(true);
  });

  it('records standing access with no end', () => {
    // Act
    const grant = grantFrom(ticket({ grant: { id: 'G01J0000000000000000000000', from, until: null } }));

    // Assess
    expect(grant).toMatchObject({ until: null, status: 'active', endReason: null });
    expect(grant?.events[0]?.data).toEqual({ ticket: '01J0000000000000000000000', until: null });
  });

  it('is the same record, event hash included, each time it is derived from the same ticket', () => {
    // Prepare
    const fulfilled = ticket({ grant: { id: 'G01J0000000000000000000000', from, until: null } });

    // Act + Assess
    expect(grantFrom(fulfilled)).toEqual(grantFrom(structuredClone(fulfilled)));
  });

  it('is none for a ticket that granted nothing, or that names no entitlement', () => {
    // Act + Assess
    expect(grantFrom(ticket())).toBeNull();
    expect(
      grantFrom(
        ticket({
          type: 'support',
          system: null,
          entitlement: null,
          grant: { id: 'G01J0000000000000000000000', from, until: null },
        }),
      ),
    ).toBeNull();
  });

  it('shows a tampered event as the broken link of its chain', () => {
    // Prepare
    const grant = grantFrom(ticket({ grant: { id: 'G01J0000000000000000000000', from, until: null } }));
    const events = (grant?.events ?? []).map((event) => ({ ...event, at: '2025-01-01T00:00:00.000Z' }));

    // Act + Assess
    expect(findBrokenLink(events)).toBe(1);
  });
});
