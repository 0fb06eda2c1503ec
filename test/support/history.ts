import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import type { TestRuntime } from './runtime';
import { people } from './seed';
import { withLocalTable } from './table';
import { waitForTicket } from './tickets';
import { eventually } from './workflow-client';

export interface FiledTicket {
  id: string;
  status: string;
  decision: { outcome: string; stages: string[]; inputs: string | null };
}

/**
 * Files tickets through the running system and has people decide them from their inboxes, so a
 * simulation has a history with every kind of outcome to replay.
 */
export function historyOf(tollgate: TestRuntime) {
  const file = async (requester: string, body: Record<string, unknown>): Promise<FiledTicket> => {
    const response = await (await tollgate.as(requester)).post<FiledTicket>('/requests', {
      type: 'access',
      justification: 'Needed for the quarterly close this month',
      ...body,
    });
    if (response.status !== 201)
      throw new Error(`POST /requests answered ${response.status}: ${response.text}`);
    // Past intake: auto-approved tickets wait for their fulfiller, the others for their first stage.
    await waitForTicket(
      await tollgate.as(requester),
      response.body.id,
      (ticket) => ticket.status !== 'submitted',
    );
    return response.body;
  };
  const decide = async (approver: string, ticketId: string, decision: 'approve' | 'deny') => {
    const client = await tollgate.as(approver);
    const task = await eventually(async () => {
      const inbox = await client.get<{ items: { id: string; ticket: { id: string } }[] }>('/approvals');
      return inbox.body.items.find((item) => item.ticket.id === ticketId);
    });
    const decided = await client.post(`/approvals/${task.id}/decision`, { decision });
    if (decided.status !== 200)
      throw new Error(`The ${decision} answered ${decided.status}: ${decided.text}`);
    await waitForTicket(
      await tollgate.as(approver),
      ticketId,
      (ticket) => ticket.status !== 'pending_approval',
    );
  };
  return {
    file,
    decide,
    /** Files, then has the manager decide: the ticket ends up approved (waiting to be fulfilled) or denied. */
    async decided(requester: string, body: Record<string, unknown>, decision: 'approve' | 'deny') {
      const ticket = await file(requester, body);
      await decide(people.erin, ticket.id, decision);
      return ticket;
    },
    /** Makes a ticket look like one decided before policies kept their inputs. */
    async forgetInputs(ticketId: string) {
      await withLocalTable(tollgate.runtime.endpoints.dynamodb, (db) =>
        db.send(
          new UpdateCommand({
            TableName: LOCAL_TABLE_NAME,
            Key: { pk: `TICKET#${ticketId}`, sk: 'TICKET' },
            UpdateExpression: 'SET decision.inputs = :none',
            ExpressionAttributeValues: { ':none': null },
          }),
        ),
      );
    },
  };
}

/**
 * The history the simulation tests replay, filed in this order (Erin manages Alex and Bo):
 * - Alex's payroll-read, approved by Erin: for P7D, P7D and P1D;
 * - Bo's payroll-read, denied by Erin, twice (standing access);
 * - Alex's payroll-read still waiting for Erin;
 * - Ivan's wiki-read, auto-approved twice (low risk, his own department);
 * - Fiona's payroll-read for svc:legacy-ledger, auto-rejected (its owner departed);
 * - Alex's github-write, approved by Erin, twice;
 * - Alex's github-read, waiting, made to look decided before policies kept inputs;
 * - and a support ticket, which no policy decides.
 */
export async function fileSimulationHistory(tollgate: TestRuntime) {
  const history = historyOf(tollgate);
  const payrollRead = { system: 'payroll', entitlement: 'payroll-read' };
  const approvedPayroll = [
    await history.decided(people.alex, { ...payrollRead, duration: 'P7D' }, 'approve'),
    await history.decided(people.alex, { ...payrollRead, duration: 'P7D' }, 'approve'),
    await history.decided(people.alex, { ...payrollRead, duration: 'P1D' }, 'approve'),
  ];
  const deniedPayroll = [
    await history.decided(people.bo, payrollRead, 'deny'),
    await history.decided(people.bo, payrollRead, 'deny'),
  ];
  const pendingPayroll = [await history.file(people.alex, payrollRead)];
  const autoApproved = [
    await history.file(people.ivan, { system: 'wiki', entitlement: 'wiki-read' }),
    await history.file(people.ivan, { system: 'wiki', entitlement: 'wiki-read' }),
  ];
  const autoRejected = [
    await history.file(people.fiona, { ...payrollRead, beneficiary: 'svc:legacy-ledger' }),
  ];
  const approvedGithub = [
    await history.decided(people.alex, { system: 'github', entitlement: 'github-write' }, 'approve'),
    await history.decided(people.alex, { system: 'github', entitlement: 'github-write' }, 'approve'),
  ];
  const withoutInputs = await history.file(people.alex, { system: 'github', entitlement: 'github-read' });
  await history.forgetInputs(withoutInputs.id);
  const support = await (await tollgate.as(people.alex)).post<{ id: string }>('/requests', {
    type: 'support',
    category: 'software',
    urgency: 'low',
    description: 'The IDE licence expired',
  });
  const ids = (tickets: FiledTicket[]) => tickets.map((ticket) => ticket.id);
  return {
    approvedPayroll: ids(approvedPayroll),
    deniedPayroll: ids(deniedPayroll),
    pendingPayroll: ids(pendingPayroll),
    autoApproved: ids(autoApproved),
    autoRejected: ids(autoRejected),
    approvedGithub: ids(approvedGithub),
    withoutInputs: withoutInputs.id,
    support: support.body.id,
    /** Every ticket of the history, the support ticket included. */
    count: 13,
  };
}
