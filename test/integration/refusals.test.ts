import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessBody } from '../support/bodies';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { partitionItems } from '../support/table';
import { eventually } from '../support/workflow-client';

interface Ticket {
  id: string;
  version: number;
  approvals: { decidedBy: string | null }[];
}

/** Spec: a decision by someone not entitled to decide a stage is refused, logged for security, and touches nothing. */
describe('a decision by someone not entitled to make it', () => {
  let tollgate: TestRuntime;
  let ticket: Ticket;
  let taskId: string;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    // Erin files wiki-read for Alex; the stage goes to Dana, Erin's manager; Ian fulfils the wiki.
    const filed = await (await tollgate.as(people.erin)).post<Ticket>(
      '/requests',
      accessBody({ beneficiary: people.alex }),
    );
    ticket = filed.body;
    const dana = await tollgate.as(people.dana);
    taskId = await eventually(async () => {
      const inbox = await dana.get<{ items: { id: string; ticket: { id: string } }[] }>('/approvals');
      return inbox.body.items.find((item) => item.ticket.id === ticket.id)?.id;
    });
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  const securityEvents = () =>
    partitionItems(tollgate.runtime.endpoints.dynamodb, `SECURITY#${new Date().toISOString().slice(0, 10)}`);

  it('is refused with 403 to someone who sees the ticket, 404 to someone who does not, and each is kept for security', async () => {
    // Act: Ian sees the ticket as its fulfiller; Paula does not see it at all
    const asFulfiller = await (await tollgate.as(people.ian)).post(`/approvals/${taskId}/decision`, {
      decision: 'approve',
    });
    const asStranger = await (await tollgate.as(people.paula)).post(`/approvals/${taskId}/decision`, {
      decision: 'approve',
    });
    // Assess
    expect(asFulfiller.status).toBe(403);
    expect(asStranger.status).toBe(404);
    const events = await securityEvents();
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'decision_refused',
        actor: people.ian,
        ticketId: ticket.id,
        taskId,
        answered: 403,
        reason: expect.stringContaining('not an approver'),
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'decision_refused',
        actor: people.paula,
        ticketId: null,
        answered: 404,
      }),
    );
  });

  it('leaves the ticket as it was', async () => {
    // Prepare
    const before = (await (await tollgate.as(people.aude)).get<Ticket>(`/requests/${ticket.id}`)).body;
    // Act
    await (await tollgate.as(people.alex)).post(`/approvals/${taskId}/decision`, { decision: 'approve' });
    // Assess
    const after = (await (await tollgate.as(people.aude)).get<Ticket>(`/requests/${ticket.id}`)).body;
    expect(after.version).toBe(before.version);
    expect(after.approvals[0]?.decidedBy).toBeNull();
  });
});
