import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../functions/domain/errors';
import {
  closeAsExtended,
  expiryNoticeAt,
  extendGrant,
  recordExpiryNotice,
} from '../../../functions/domain/extension';
import { grantFrom } from '../../../functions/domain/grants';
import { requestRevocation, revocationToBegin } from '../../../functions/domain/revocation';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { completeFulfilment } from '../../../functions/domain/workflow';
import { fulfilmentBy, ticket } from './tickets';

const from = '2026-01-02T09:00:00.000Z';

/** An access ticket whose fulfilment was just reported done, for `duration`, at `scale`. */
function granted(duration: string, scale = 1): Ticket {
  return completeFulfilment(
    ticket({
      status: 'fulfilling',
      duration,
      fulfilment: fulfilmentBy(['ops@x.com'], { result: 'done', by: 'ops@x.com', at: from }),
    }),
    new Date(from),
    scale,
  );
}

/** An approved extension of `duration`, applied at `at`. */
const extension = (duration: string, at: string, ticketId = '01J0000000000000000000EXT1') => ({
  ticketId,
  duration,
  at,
});

describe('the expiry notice', () => {
  it('is due a day before the end of a long grant, and halfway through a short one, scaled as the grant is', () => {
    // Act
    const week = granted('P7D').grant;
    const hours = granted('PT6H').grant;
    const scaled = granted('P7D', 0.001).grant;

    // Assess
    expect(week?.noticeAt).toBe('2026-01-08T09:00:00.000Z');
    expect(hours?.noticeAt).toBe('2026-01-02T12:00:00.000Z');
    // A week at 0.001 lasts 604.8 s; a day before is 86.4 s before.
    expect(scaled?.until).toBe('2026-01-02T09:10:04.800Z');
    expect(scaled?.noticeAt).toBe('2026-01-02T09:08:38.400Z');
    expect(expiryNoticeAt(from, '2026-01-02T09:00:10.000Z', 1)).toBe('2026-01-02T09:00:05.000Z');
  });

  it('is listed as due on the grant until it is recorded, then never again for the same end', () => {
    // Prepare
    const active = granted('P7D');

    // Act
    const told = recordExpiryNotice(active, 'alex@x.com', '2026-01-08T09:00:01.000Z');
    const again = recordExpiryNotice(told, 'alex@x.com', '2026-01-08T09:00:02.000Z');

    // Assess
    expect(grantFrom(active)?.noticeDueAt).toBe('2026-01-08T09:00:00.000Z');
    expect(told.timeline.at(-1)).toMatchObject({
      type: 'expiry_notice_sent',
      data: { grant: active.grant?.id, until: active.grant?.until, to: 'alex@x.com' },
    });
    expect(grantFrom(told)).toMatchObject({ noticeDueAt: null, status: 'active' });
    expect(grantFrom(told)?.events.map((event) => event.type)).toEqual(['granted', 'expiry_notice_sent']);
    expect(again).toBe(told);
  });

  it('is not due for standing access, a grant being revoked, or a ticket granted before notices', () => {
    // Prepare
    const standing = completeFulfilment(
      ticket({
        status: 'fulfilling',
        duration: null,
        fulfilment: fulfilmentBy(['ops@x.com'], { result: 'done', by: 'ops@x.com', at: from }),
      }),
      new Date(from),
    );
    const revoking = requestRevocation(granted('P7D'), {
      reason: 'revoked',
      by: 'alex@x.com',
      note: null,
      at: '2026-01-03T09:00:00.000Z',
    });
    const active = granted('P7D');
    const older = {
      ...active,
      grant: active.grant && { id: active.grant.id, from, until: active.grant.until },
    };

    // Act + Assess
    for (const case_ of [standing, revoking, older]) {
      expect(grantFrom(case_)?.noticeDueAt).toBeNull();
      expect(recordExpiryNotice(case_, 'alex@x.com', '2026-01-08T09:00:00.000Z')).toBe(case_);
    }
  });
});

describe('an approved extension', () => {
  it('moves the grant’s end by its duration from the old end, once, and the holder is told again before the new end', () => {
    // Prepare
    const told = recordExpiryNotice(granted('P7D'), 'alex@x.com', '2026-01-08T09:00:00.000Z');
    const now = '2026-01-08T10:00:00.000Z';

    // Act
    const extended = extendGrant(told, extension('P3D', now), 1);
    const repeated = extendGrant(extended, extension('P3D', now), 1);

    // Assess
    expect(extended.grant).toMatchObject({
      until: '2026-01-12T09:00:00.000Z',
      noticeAt: '2026-01-11T09:00:00.000Z',
    });
    expect(extended.status).toBe('active');
    expect(extended.timeline.at(-1)).toMatchObject({
      type: 'grant_extended',
      data: {
        extension: '01J0000000000000000000EXT1',
        from: '2026-01-09T09:00:00.000Z',
        until: '2026-01-12T09:00:00.000Z',
      },
    });
    expect(repeated).toBe(extended);
    const grant = grantFrom(extended);
    expect(grant).toMatchObject({
      until: '2026-01-12T09:00:00.000Z',
      status: 'active',
      revocationDueAt: '2026-01-12T09:00:00.000Z',
      noticeDueAt: '2026-01-11T09:00:00.000Z',
    });
    // The grant's own history keeps the end it was granted with.
    expect(grant?.events[0]?.data).toMatchObject({ until: '2026-01-09T09:00:00.000Z' });
    expect(grant?.events.map((event) => event.type)).toEqual([
      'granted',
      'expiry_notice_sent',
      'grant_extended',
    ]);
    expect(findBrokenLink(grant?.events ?? [])).toBeNull();
  });

  it('is scaled as the grant was, and a second extension moves the end again', () => {
    // Prepare
    const active = granted('PT10H', 0.001);

    // Act
    const once = extendGrant(active, extension('PT10H', from), 0.001);
    const twice = extendGrant(once, extension('PT5H', from, '01J0000000000000000000EXT2'), 0.001);

    // Assess
    expect(active.grant?.until).toBe('2026-01-02T09:00:36.000Z');
    expect(once.grant?.until).toBe('2026-01-02T09:01:12.000Z');
    expect(twice.grant?.until).toBe('2026-01-02T09:01:30.000Z');
  });

  it('is refused for a grant that is no longer in force', () => {
    // Prepare
    const revoking = requestRevocation(granted('P7D'), {
      reason: 'revoked',
      by: 'alex@x.com',
      note: null,
      at: '2026-01-03T09:00:00.000Z',
    });

    // Act
    const extending = () => extendGrant(revoking, extension('P3D', '2026-01-04T09:00:00.000Z'), 1);

    // Assess
    expect(extending).toThrow(ConflictError);
  });

  it('makes the old end’s revocation, fired late, do nothing', () => {
    // Prepare
    const active = granted('P7D');
    const oldUntil = active.grant?.until ?? '';
    const extended = extendGrant(active, extension('P3D', '2026-01-08T10:00:00.000Z'), 1);

    // Act
    const begun = revocationToBegin(
      extended,
      `${extended.grant?.id}-${oldUntil.replace(/[-:.]/g, '')}`,
      oldUntil,
      '2026-01-09T09:00:30.000Z',
    );

    // Assess
    expect(begun).toBeNull();
  });

  it('closes as fulfilled, naming the grant and its new end, and creates no grant of its own', () => {
    // Act
    const closed = closeAsExtended(
      ticket({ id: '01J0000000000000000000EXT1', status: 'fulfilling', duration: 'P3D', extends: 'G1' }),
      { grant: { id: 'G1', from, until: '2026-01-12T09:00:00.000Z' } },
      '2026-01-08T10:00:00.000Z',
    );

    // Assess
    expect(closed).toMatchObject({ status: 'closed', closure: 'fulfilled', grant: null });
    expect(closed.timeline.at(-1)?.data).toMatchObject({ extended: 'G1', until: '2026-01-12T09:00:00.000Z' });
    expect(grantFrom(closed)).toBeNull();
  });
});
