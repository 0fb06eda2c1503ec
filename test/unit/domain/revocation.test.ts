import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../../functions/domain/errors';
import {
  assertMayConfirmRevocation,
  dueRevocation,
  endGrant,
  expiryExecutionName,
  openRevocation,
  recordRevocationConfirmed,
  requestRevocation,
  revocationToBegin,
} from '../../../functions/domain/revocation';
import type { Ticket } from '../../../functions/domain/ticket';
import { completeFulfilment, nextWakeUp, openWait, passCheckpoint } from '../../../functions/domain/workflow';
import { endingAt, fulfilmentBy, ticket } from './tickets';

const grantedAt = new Date('2026-01-02T09:00:00.000Z');
const until = '2026-01-09T09:00:00.000Z';

/** Time-bound access to wiki-read for dev@x.com, granted for seven days. */
function active(duration: string | null = 'P7D'): Ticket {
  return completeFulfilment(
    ticket({
      status: 'fulfilling',
      duration,
      fulfilment: fulfilmentBy(['ops@x.com'], {
        result: 'done',
        by: 'ops@x.com',
        at: grantedAt.toISOString(),
      }),
    }),
    grantedAt,
  );
}

const grantId = `G${ticket().id}`;
const expiry = expiryExecutionName(grantId, until);

/** The expiry of `active()` begun and opened, asking ops@x.com, overdue at 2026-01-10T09:00Z. */
function expiring(): Ticket {
  const begun = revocationToBegin(active(), expiry, until, until);
  if (!begun) throw new Error('the expiry did not begin');
  return openRevocation(begun, {
    fulfillers: ['ops@x.com'],
    coveredBy: null,
    deadlines: endingAt('2026-01-10T09:00:00.000Z'),
    at: until,
  });
}

describe('the end of a grant', () => {
  it('is due at its until, as an execution named after the grant and that until', () => {
    // Act
    const due = dueRevocation(active());

    // Assess
    expect(due).toEqual({
      name: `${grantId}-20260109T090000000Z`,
      input: { ticketId: ticket().id, grantId, until },
    });
    expect(due?.name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
    expect(dueRevocation(active(null))).toBeNull();
  });

  it('begins only in the execution its until names, and not after the grant was extended', () => {
    // Prepare
    const extended = {
      ...active(),
      grant: { id: grantId, from: grantedAt.toISOString(), until: '2026-01-16T09:00:00.000Z' },
    };

    // Act + Assess
    expect(revocationToBegin(active(), expiry, until, until)?.revocation).toMatchObject({
      reason: 'expired',
      requestedBy: 'tollgate',
      execution: expiry,
    });
    expect(revocationToBegin(extended, expiry, until, until)).toBeNull();
    expect(revocationToBegin(active(), `${grantId}-other`, until, until)).toBeNull();
  });

  it('moves the ticket to revoking and asks the fulfillers, with a reminder, an escalation and an overdue flag that closes nothing', () => {
    // Prepare
    const opened = expiring();

    // Act
    const reminded = passCheckpoint(opened, new Date('2026-01-10T07:00:00.000Z'), []);
    const escalated = passCheckpoint(reminded, new Date('2026-01-10T08:00:00.000Z'), ['owner@x.com']);
    const overdue = passCheckpoint(escalated, new Date('2026-01-10T09:00:00.000Z'), ['sec@x.com']);

    // Assess
    expect(opened).toMatchObject({
      status: 'revoking',
      revocation: { fulfillers: ['ops@x.com'], phase: 'asked' },
    });
    expect(openWait(opened)?.kind).toBe('revoke');
    expect(reminded.revocation?.phase).toBe('reminded');
    expect(escalated.revocation).toMatchObject({ phase: 'escalated', escalatedTo: ['owner@x.com'] });
    expect(overdue).toMatchObject({
      status: 'revoking',
      revocation: { phase: 'overdue', overdue: true, escalatedTo: ['owner@x.com', 'sec@x.com'] },
    });
    expect(overdue.timeline.at(-1)?.type).toBe('revocation_overdue');
    expect(nextWakeUp(overdue)).toBeNull();
    expect(passCheckpoint(overdue, new Date('2026-02-01T00:00:00.000Z'), ['sec@x.com'])).toBe(overdue);
  });

  it('closes as expired without work when another active grant still provides the same access', () => {
    // Prepare
    const begun = revocationToBegin(active(), expiry, until, until);

    // Act
    const covered =
      begun &&
      openRevocation(begun, {
        fulfillers: [],
        coveredBy: 'G01JOTHER',
        deadlines: endingAt('2026-01-10T09:00:00.000Z'),
        at: until,
      });

    // Assess
    expect(covered).toMatchObject({
      status: 'closed',
      closure: 'expired',
      revocation: { result: 'covered', coveredBy: 'G01JOTHER', fulfillers: [] },
    });
    expect(covered && openWait(covered)).toBeNull();
    expect(covered?.timeline.find((event) => event.type === 'revocation_started')?.reason).toContain(
      'G01JOTHER',
    );
  });

  it('takes a confirmation only from someone asked, never from the holder, and only once', () => {
    // Prepare
    const opened = expiring();
    const escalatedToHolder = {
      ...opened,
      revocation: opened.revocation && { ...opened.revocation, escalatedTo: ['dev@x.com'] },
    };
    const confirmed = recordRevocationConfirmed(opened, {
      by: 'ops@x.com',
      comment: null,
      at: until,
      via: 'link',
    });

    // Act + Assess
    expect(() => assertMayConfirmRevocation(opened, 'ops@x.com')).not.toThrow();
    expect(() => assertMayConfirmRevocation(opened, 'someone@x.com')).toThrow(ForbiddenError);
    expect(() => assertMayConfirmRevocation(escalatedToHolder, 'dev@x.com')).toThrow(ForbiddenError);
    expect(() => assertMayConfirmRevocation(confirmed, 'ops@x.com')).toThrow(ConflictError);
  });

  it('closes the ticket as expired once confirmed; a standing grant revoked on request leaves its closed ticket as it was', () => {
    // Prepare
    const confirmed = recordRevocationConfirmed(expiring(), {
      by: 'ops@x.com',
      comment: 'gone',
      at: until,
      via: 'link',
    });
    const standing = requestRevocation(active(null), {
      reason: 'departed',
      by: 'hr@x.com',
      note: null,
      at: until,
    });
    const standingOpened = openRevocation(standing, {
      fulfillers: ['ops@x.com'],
      coveredBy: null,
      deadlines: endingAt('2026-01-10T09:00:00.000Z'),
      at: until,
    });
    const standingConfirmed = recordRevocationConfirmed(standingOpened, {
      by: 'ops@x.com',
      comment: null,
      at: until,
      via: 'inbox',
    });

    // Act
    const expired = endGrant(confirmed, until);
    const departed = endGrant(standingConfirmed, until);

    // Assess
    expect(expired).toMatchObject({ status: 'closed', closure: 'expired' });
    expect(endGrant(expired, until)).toBe(expired);
    expect(departed).toMatchObject({ status: 'closed', closure: 'fulfilled' });
    expect(departed.timeline.at(-1)).toMatchObject({ type: 'grant_ended', data: { endReason: 'departed' } });
  });

  it('is asked for once: a second request, or one after the end, is a conflict', () => {
    // Prepare
    const asked = requestRevocation(active(), { reason: 'revoked', by: 'dev@x.com', note: null, at: until });

    // Act + Assess
    expect(() =>
      requestRevocation(asked, { reason: 'revoked', by: 'dev@x.com', note: null, at: until }),
    ).toThrow(ConflictError);
    expect(() =>
      requestRevocation(ticket(), { reason: 'revoked', by: 'dev@x.com', note: null, at: until }),
    ).toThrow(ConflictError);
  });
});
