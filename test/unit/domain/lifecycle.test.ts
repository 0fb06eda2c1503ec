import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from '../../../functions/domain/errors';
import { canTransition, closureCodes, statuses } from '../../../functions/domain/lifecycle';
import { applyChange } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { ticket } from './tickets';

describe('access ticket lifecycle', () => {
  it('follows the happy path to closed as fulfilled', () => {
    expect(canTransition('access', 'submitted', 'pending_approval', null)).toBe(true);
    expect(canTransition('access', 'pending_approval', 'fulfilling', null)).toBe(true);
    expect(canTransition('access', 'fulfilling', 'closed', 'fulfilled')).toBe(true);
  });

  it('follows time-bound access through active and revoking to expired', () => {
    expect(canTransition('access', 'fulfilling', 'active', null)).toBe(true);
    expect(canTransition('access', 'active', 'revoking', null)).toBe(true);
    expect(canTransition('access', 'revoking', 'closed', 'expired')).toBe(true);
  });

  it('lets policy auto-approve past pending_approval', () => {
    expect(canTransition('access', 'submitted', 'fulfilling', null)).toBe(true);
  });

  it('refuses to close without a closure code, or with one that does not fit the status', () => {
    expect(canTransition('access', 'pending_approval', 'closed', null)).toBe(false);
    expect(canTransition('access', 'submitted', 'closed', 'rejected')).toBe(false);
    expect(canTransition('access', 'active', 'closed', 'fulfilled')).toBe(false);
  });

  it('never reopens a closed ticket', () => {
    for (const status of statuses) {
      for (const closure of [null, ...closureCodes])
        expect(canTransition('access', 'closed', status, closure)).toBe(false);
    }
  });

  it('keeps support tickets out of approval and grants', () => {
    expect(canTransition('support', 'submitted', 'pending_approval', null)).toBe(false);
    expect(canTransition('support', 'fulfilling', 'active', null)).toBe(false);
    expect(canTransition('support', 'submitted', 'fulfilling', null)).toBe(true);
    expect(canTransition('support', 'fulfilling', 'closed', 'fulfilled')).toBe(true);
  });
});

describe('applying a change', () => {
  it('moves the status, bumps the version and appends a chained event', () => {
    // Prepare
    const before = ticket();
    // Act
    const after = applyChange(before, {
      type: 'stage_opened',
      at: '2026-01-01T00:01:00.000Z',
      actor: 'tollgate',
      to: 'pending_approval',
    });
    // Assess
    expect(after.status).toBe('pending_approval');
    expect(after.version).toBe(before.version + 1);
    expect(after.timeline.at(-1)).toMatchObject({
      seq: 2,
      from: 'submitted',
      to: 'pending_approval',
      prev: before.timeline[0]?.hash,
    });
    expect(findBrokenLink(after.timeline)).toBeNull();
  });

  it('records the closure code on the ticket and in the event', () => {
    // Act
    const closed = applyChange(ticket({ status: 'pending_approval' }), {
      type: 'denied',
      at: '2026-01-01T00:01:00.000Z',
      actor: 'lead@x.com',
      to: 'closed',
      closure: 'rejected',
      reason: 'not needed',
    });
    // Assess
    expect(closed.closure).toBe('rejected');
    expect(closed.timeline.at(-1)?.data).toMatchObject({ closure: 'rejected' });
  });

  it('refuses a move the lifecycle does not allow', () => {
    expect(() =>
      applyChange(ticket(), { type: 'x', at: '2026-01-01T00:01:00.000Z', actor: 'tollgate', to: 'active' }),
    ).toThrow(InvalidTransitionError);
  });
});

describe('the timeline’s hash chain', () => {
  it('starts from 64 zeros', () => {
    expect(ticket().timeline[0]?.prev).toBe('0'.repeat(64));
  });

  it('detects an edited event', () => {
    // Prepare
    const timeline = applyChange(ticket(), {
      type: 'noted',
      at: '2026-01-01T00:01:00.000Z',
      actor: 'x',
    }).timeline;
    // Act
    const edited = timeline.map((event) => (event.seq === 1 ? { ...event, actor: 'mallory@x.com' } : event));
    // Assess
    expect(findBrokenLink(edited)).toBe(1);
  });

  it('detects a removed event', () => {
    // Prepare
    let current = ticket();
    for (const n of [1, 2])
      current = applyChange(current, { type: `note-${n}`, at: '2026-01-01T00:01:00.000Z', actor: 'x' });
    // Act
    const withGap = current.timeline.filter((event) => event.seq !== 2);
    // Assess
    expect(findBrokenLink(withGap)).not.toBeNull();
  });
});
