import { describe, expect, it } from 'vitest';
import {
  checkpointDue,
  deadlineSettingsSchema,
  deadlinesFrom,
  defaultDeadlines,
  nextCheckpoint,
} from '../../../functions/domain/deadlines';
import { escalateStage, pendingApproval } from '../../../functions/domain/routing';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { nextWakeUp, openFulfilment, openStage, passCheckpoint } from '../../../functions/domain/workflow';
import { directoryOf, person } from './fixtures';
import { ticket as baseTicket, fulfilmentBy } from './tickets';

const HOUR = 3600_000;
const opened = new Date('2026-01-01T09:00:00.000Z');
const hoursIn = (hours: number) => new Date(opened.getTime() + hours * HOUR);

const chief = person('chief@x.com');
const director = person('director@x.com', { managerId: chief.id });
const lead = person('lead@x.com', { managerId: director.id });
const dev = person('dev@x.com', { managerId: lead.id });
const security = person('sec@x.com', { roles: ['security'] });
const helpdesk = person('help@x.com');

/** A normal-urgency ticket whose manager stage opened at `opened`: reminder at 24 h, escalation at 48 h, end at 72 h. */
function waitingOnLead(overrides: Partial<Ticket> = {}): Ticket {
  const routed = baseTicket({
    status: 'pending_approval',
    approvals: [pendingApproval({ stage: 'manager', candidates: [lead.id], path: [lead.id] })],
    ...overrides,
  });
  return openStage(
    routed,
    0,
    deadlinesFrom(defaultDeadlines.approval.normal, opened, 1),
    opened.toISOString(),
  );
}

function supportTicket(): Ticket {
  const fulfilment = fulfilmentBy([helpdesk.id], { queue: 'helpdesk' });
  const queued = baseTicket({
    type: 'support',
    status: 'fulfilling',
    system: null,
    entitlement: null,
    category: 'laptop',
    description: 'Screen flickers',
    fulfilment,
  });
  // Normal urgency: first response within 8 hours, resolution within 3 days.
  return openFulfilment(
    queued,
    deadlinesFrom(defaultDeadlines.support.normal, opened, 1),
    opened.toISOString(),
  );
}

describe('the deadlines of a wait', () => {
  it('fall at the urgency’s reminder, escalation and final durations from the moment it opens', () => {
    // Act
    const critical = deadlinesFrom(defaultDeadlines.approval.critical, opened, 1);

    // Assess
    expect(critical).toEqual({
      reminderAt: hoursIn(1).toISOString(),
      escalationAt: hoursIn(2).toISOString(),
      deadline: hoursIn(4).toISOString(),
    });
  });

  it('shrink by the time scale, as demos run them', () => {
    // Act
    const scaled = deadlinesFrom(defaultDeadlines.approval.normal, opened, 0.001);

    // Assess: a day becomes 86.4 seconds.
    expect(Date.parse(scaled.reminderAt) - opened.getTime()).toBe(86_400);
    expect(Date.parse(scaled.deadline) - opened.getTime()).toBe(259_200);
  });

  it('take settings that name only what differs from the defaults', () => {
    // Act
    const settings = deadlineSettingsSchema.parse({
      support: { critical: { reminder: 'PT15M', escalation: 'PT1H', final: 'PT12H' } },
    });

    // Assess
    expect(settings.support.critical).toEqual({ reminder: 'PT15M', escalation: 'PT1H', final: 'PT12H' });
    expect(settings.support.high).toEqual(defaultDeadlines.support.high);
    expect(settings.approval).toEqual(defaultDeadlines.approval);
  });

  it('refuse settings out of order or not durations, naming where', () => {
    // Act
    const outOfOrder = deadlineSettingsSchema.safeParse({
      approval: { low: { reminder: 'P3D', escalation: 'P2D', final: 'P4D' } },
    });
    const notADuration = deadlineSettingsSchema.safeParse({
      fulfilment: { high: { reminder: 'soon', escalation: 'P2D', final: 'P4D' } },
    });
    const unknownUrgency = deadlineSettingsSchema.safeParse({
      approval: { urgent: { reminder: 'P1D', escalation: 'P2D', final: 'P4D' } },
    });

    // Assess
    expect(outOfOrder.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['approval.low']);
    expect(outOfOrder.error?.issues[0]?.message).toMatch(/reminder before escalation before final/);
    expect(notADuration.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'fulfilment.high.reminder',
    ]);
    expect(unknownUrgency.success).toBe(false);
  });

  it('come due one after the other, and a wait that slept through two acts on the later only', () => {
    // Prepare
    const wait = { ...deadlinesFrom(defaultDeadlines.approval.normal, opened, 1), phase: 'asked' as const };

    // Act + Assess
    expect(checkpointDue(wait, hoursIn(23))).toBeNull();
    expect(checkpointDue(wait, hoursIn(24))).toBe('reminder');
    expect(checkpointDue({ ...wait, phase: 'reminded' }, hoursIn(47))).toBeNull();
    expect(checkpointDue({ ...wait, phase: 'reminded' }, hoursIn(48))).toBe('escalation');
    expect(checkpointDue(wait, hoursIn(50))).toBe('escalation');
    expect(checkpointDue({ ...wait, phase: 'escalated' }, hoursIn(72))).toBe('final');
    expect(nextCheckpoint(wait)).toBe(wait.reminderAt);
    expect(nextCheckpoint({ ...wait, phase: 'reminded' })).toBe(wait.escalationAt);
    expect(nextCheckpoint({ ...wait, phase: 'escalated' })).toBe(wait.deadline);
  });
});

describe('passing a checkpoint of an approval stage', () => {
  it('leaves the ticket as it is when the timer woke before any checkpoint', () => {
    // Prepare
    const waiting = waitingOnLead();

    // Act
    const after = passCheckpoint(waiting, hoursIn(23), [director.id]);

    // Assess
    expect(after).toBe(waiting);
  });

  it('reminds the same approvers at the reminder, and next wakes at the escalation', () => {
    // Act
    const after = passCheckpoint(waitingOnLead(), hoursIn(24), [director.id]);

    // Assess
    expect(after.approvals[0]).toMatchObject({ phase: 'reminded', candidates: [lead.id], escalatedTo: [] });
    expect(after.timeline.at(-1)).toMatchObject({
      type: 'reminded',
      data: { stage: 'manager', to: [lead.id] },
    });
    expect(nextWakeUp(after)).toBe(hoursIn(48).toISOString());
  });

  it('asks the escalation targets alongside the approvers at the escalation, and next wakes at the end', () => {
    // Prepare
    const reminded = passCheckpoint(waitingOnLead(), hoursIn(24), []);

    // Act
    const after = passCheckpoint(reminded, hoursIn(48), [director.id]);

    // Assess: the lead may still decide; the director may now too.
    expect(after.approvals[0]).toMatchObject({
      phase: 'escalated',
      candidates: [lead.id, director.id],
      escalatedTo: [director.id],
    });
    expect(after.timeline.at(-1)).toMatchObject({
      type: 'escalated',
      reason: null,
      data: { stage: 'manager', to: [director.id] },
    });
    expect(nextWakeUp(after)).toBe(hoursIn(72).toISOString());
    expect(findBrokenLink(after.timeline)).toBeNull();
  });

  it('says so on the timeline when there is nobody to escalate to', () => {
    // Act
    const after = passCheckpoint(waitingOnLead(), hoursIn(48), []);

    // Assess
    expect(after.timeline.at(-1)).toMatchObject({
      type: 'escalated',
      reason: 'Nobody eligible to escalate to',
    });
    expect(after.approvals[0]?.candidates).toEqual([lead.id]);
  });

  it('closes the ticket as timed_out at the final deadline', () => {
    // Act
    const after = passCheckpoint(waitingOnLead(), hoursIn(72), [director.id]);

    // Assess
    expect(after).toMatchObject({ status: 'closed', closure: 'timed_out' });
  });
});

describe('the service levels of a support ticket', () => {
  it('records the first-response breach when nobody from the queue answered in time', () => {
    // Act
    const after = passCheckpoint(supportTicket(), hoursIn(8), []);

    // Assess
    expect(after.sla?.breaches).toEqual([{ sla: 'first_response', at: hoursIn(8).toISOString() }]);
    expect(after.timeline.at(-1)).toMatchObject({
      type: 'sla_breached',
      data: { sla: 'first_response', due: hoursIn(8).toISOString() },
    });
    expect(after.status).toBe('fulfilling');
  });

  it('records the first response as met when the queue answered in time, then the resolution breach', () => {
    // Prepare
    const opened = supportTicket();
    const answered = opened.sla && {
      ...opened,
      sla: { ...opened.sla, firstResponseAt: hoursIn(1).toISOString() },
    };

    // Act
    const met = passCheckpoint(answered ?? opened, hoursIn(8), []);
    const late = passCheckpoint(met, hoursIn(72), []);

    // Assess
    expect(met.timeline.at(-1)).toMatchObject({ type: 'sla_met', data: { sla: 'first_response' } });
    expect(late.sla?.breaches).toEqual([{ sla: 'resolution', at: hoursIn(72).toISOString() }]);
  });

  it('records both breaches when the timer slept through both levels', () => {
    // Act
    const after = passCheckpoint(supportTicket(), hoursIn(80), []);

    // Assess
    expect(after.sla?.breaches.map((breach) => breach.sla)).toEqual(['first_response', 'resolution']);
    expect(after.timeline.slice(-2).map((event) => [event.type, event.data?.sla])).toEqual([
      ['sla_breached', 'first_response'],
      ['sla_breached', 'resolution'],
    ]);
    expect(findBrokenLink(after.timeline)).toBeNull();
  });
});

describe('escalation of an approval stage', () => {
  const ticketFor = (candidates: string[], overrides: Partial<Ticket> = {}) =>
    baseTicket({
      requester: dev.id,
      beneficiary: dev.id,
      approvals: [pendingApproval({ stage: 'manager', candidates, path: candidates })],
      ...overrides,
    });

  it('goes to each approver’s manager', async () => {
    // Act
    const targets = await escalateStage(
      directoryOf(chief, director, lead, dev, security),
      ticketFor([lead.id]),
      0,
    );

    // Assess
    expect(targets).toEqual([director.id]);
  });

  it('passes a departed manager, and the parties to the ticket, for the next one up', async () => {
    // Prepare
    const gone = { ...director, status: 'departed' as const };
    const directory = directoryOf(chief, gone, lead, dev, security);

    // Act
    const pastDeparted = await escalateStage(directory, ticketFor([lead.id]), 0);
    const pastRequester = await escalateStage(
      directoryOf(chief, director, lead, dev, security),
      ticketFor([lead.id], { requester: director.id }),
      0,
    );

    // Assess
    expect(pastDeparted).toEqual([chief.id]);
    expect(pastRequester).toEqual([chief.id]);
  });

  it('goes to the security group when no manager up the chain may decide', async () => {
    // Act
    const targets = await escalateStage(directoryOf(chief, security, dev), ticketFor([chief.id]), 0);

    // Assess
    expect(targets).toEqual([security.id]);
  });
});
