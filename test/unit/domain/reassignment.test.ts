import { describe, expect, it } from 'vitest';
import { ConflictError, DeadlinePassedError, ForbiddenError } from '../../../functions/domain/errors';
import { assertMayReassign, reassignStage } from '../../../functions/domain/reassignment';
import { pendingApproval } from '../../../functions/domain/routing';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { assertMayDecide, openStage, recordDecision } from '../../../functions/domain/workflow';
import { person } from './fixtures';
import { ticket as baseTicket, endingAt } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const now = new Date(at);
const lead = person('lead@x.com');
const chief = person('chief@x.com');
const security = person('sec@x.com', { roles: ['security'] });

/** Dev's ticket waiting for its manager stage: the lead, with Pat asked alongside as the lead's delegate. */
function waiting(overrides: Partial<Ticket> = {}): Ticket {
  const routed = baseTicket({
    approvals: [pendingApproval({ stage: 'manager', candidates: [lead.id], path: [lead.id] })],
    ...overrides,
  });
  return openStage(routed, 0, endingAt('2026-01-04T00:00:00.000Z'), at, {
    stage: 'manager',
    candidates: [lead.id, 'pat@x.com'],
    path: [lead.id],
    delegates: { 'pat@x.com': [lead.id] },
  });
}

const handOver = { to: chief.id, reason: 'On leave', by: lead.id, at };

describe('reassigning a stage', () => {
  it('asks the new person alone, keeps the deadlines and path, and records who was asked before', () => {
    // Prepare
    const ticket = waiting();

    // Act
    const reassigned = reassignStage(ticket, 0, handOver);

    // Assess
    const [before, after] = [ticket.approvals[0], reassigned.approvals[0]];
    expect(after).toMatchObject({
      candidates: [chief.id],
      reassignedFrom: [lead.id, 'pat@x.com'],
      path: before?.path,
      deadline: before?.deadline,
      reminderAt: before?.reminderAt,
      escalationAt: before?.escalationAt,
    });
    expect(after).not.toHaveProperty('delegates');
    expect(reassigned.timeline.at(-1)).toMatchObject({
      type: 'reassigned',
      actor: lead.id,
      reason: 'On leave',
      data: { stage: 'manager', index: 0, from: [lead.id, 'pat@x.com'], to: chief.id },
    });
    expect(findBrokenLink(reassigned.timeline)).toBeNull();
  });

  it('changes nothing when the stage asks that person alone already', () => {
    // Prepare
    const reassigned = reassignStage(waiting(), 0, handOver);

    // Act
    const again = reassignStage(reassigned, 0, { ...handOver, by: security.id });

    // Assess
    expect(again).toBe(reassigned);
  });

  it('lets a candidate (a delegate too) or security hand it on, and nobody else', () => {
    // Prepare
    const ticket = waiting();

    // Act + Assess
    expect(() => assertMayReassign(ticket, 0, lead, now)).not.toThrow();
    expect(() => assertMayReassign(ticket, 0, person('pat@x.com'), now)).not.toThrow();
    expect(() => assertMayReassign(ticket, 0, security, now)).not.toThrow();
    expect(() => assertMayReassign(ticket, 0, chief, now)).toThrow(ForbiddenError);
  });

  it('never lets a security member hand on the approval of their own request', () => {
    // Prepare
    const ticket = waiting({ requester: security.id });

    // Act + Assess
    expect(() => assertMayReassign(ticket, 0, security, now)).toThrow(
      'Nobody reassigns the approval of a ticket they requested or benefit from',
    );
  });

  it('tells whoever handed it on that it is no longer theirs, to decide or to hand on again', () => {
    // Prepare
    const reassigned = reassignStage(waiting(), 0, handOver);

    // Act + Assess
    expect(() => assertMayReassign(reassigned, 0, lead, now)).toThrow(ConflictError);
    expect(() => assertMayDecide(reassigned, 0, lead, now)).toThrow(
      `This approval was reassigned to ${chief.id}: it is no longer yours to decide`,
    );
    expect(() => assertMayDecide(reassigned, 0, chief, now)).not.toThrow();
  });

  it('is refused once the stage is decided or its final deadline has passed', () => {
    // Prepare
    const ticket = waiting();
    const decided = recordDecision(ticket, 0, {
      by: lead.id,
      decision: 'deny',
      comment: null,
      via: 'link',
      at,
    });

    // Act + Assess
    expect(() => assertMayReassign(decided, 0, security, now)).toThrow(ConflictError);
    expect(() => assertMayReassign(ticket, 0, lead, new Date('2026-01-04T00:00:00.000Z'))).toThrow(
      DeadlinePassedError,
    );
  });
});
