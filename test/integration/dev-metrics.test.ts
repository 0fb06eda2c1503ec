import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMemory, LocalMetrics } from '../../functions/local/dev-routes';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { localSfnClient } from '../support/sfn';
import { eventually, TollgateClient } from '../support/workflow-client';

const requester = 'alex.dev@example.com';
const manager = 'erin.lead@example.com';
const fulfiller = 'ian.helpdesk@example.com';

let system: TestRuntime;
let client: TollgateClient;

beforeAll(async () => {
  system = await startTestRuntime();
  client = new TollgateClient(system.url);
});

afterAll(async () => {
  await system?.close();
});

async function metrics(): Promise<LocalMetrics> {
  const response = await fetch(`${system.url}/dev/metrics`);
  expect(response.status).toBe(200);
  return (await response.json()) as LocalMetrics;
}

/** Waits until the caller's inbox holds a task for the ticket, and answers its id. */
async function inboxTask(as: string, path: string, ticketId: string): Promise<string> {
  const task = await eventually(async () => {
    const inbox = await client.call<{ items: { id: string; ticket: { id: string } }[] }>(as, 'GET', path);
    return inbox.body.items.find((item) => item.ticket.id === ticketId);
  });
  return task.id;
}

async function executionEnded(ticketId: string): Promise<string> {
  const sfn = localSfnClient(system.runtime.endpoints.stepfunctions);
  try {
    return await eventually(async () => {
      const { status } = await sfn.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:us-east-1:000000000000:execution:access-request:${ticketId}`,
        }),
      );
      return status === 'RUNNING' ? undefined : status;
    });
  } finally {
    sfn.destroy();
  }
}

/** What one ticket made the system do: the metrics before its intake and after its execution ended. */
interface OneTicket {
  before: LocalMetrics;
  after: LocalMetrics;
  decided: number;
  reported: number;
  ended: string;
  closure: string | null;
}

/**
 * The bench's ticket (bench/lifecycle.ts): Alex files github-write with no duration, Erin approves
 * it from her inbox, Ian reports it fulfilled; then the execution is waited for to end.
 */
async function oneTicketFromIntakeToClosure(): Promise<OneTicket> {
  const before = await metrics();
  const { body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', {
    type: 'access',
    system: 'github',
    entitlement: 'github-write',
    justification: 'Push the release branch for 4.2',
  });
  const approval = await inboxTask(manager, '/approvals', ticket.id);
  const decided = await client.call(manager, 'POST', `/approvals/${approval}/decision`, {
    decision: 'approve',
  });
  await inboxTask(fulfiller, '/fulfilments', ticket.id);
  const reported = await client.call(fulfiller, 'POST', `/requests/${ticket.id}/fulfilment`, {
    result: 'done',
  });
  const ended = await executionEnded(ticket.id);
  const after = await metrics();
  const { closure } = await client.ticket(requester, ticket.id);
  return { before, after, decided: decided.status, reported: reported.status, ended, closure };
}

/** How many more requests of an operation the store took from `before` to `after`. */
const requestsGrown = (before: LocalMetrics, after: LocalMetrics) => (operation: string) =>
  (after.dynamodb[operation] ?? 0) - (before.dynamodb[operation] ?? 0);

describe('GET /dev/metrics', () => {
  it('counts the store requests, state transitions, Lambda invocations and emails of one ticket from intake to closure', async () => {
    // Act: file, approve from the inbox, report the fulfilment, wait for the execution to end
    const { before, after, decided, reported, ended, closure } = await oneTicketFromIntakeToClosure();

    // Assess
    expect(decided).toBe(200);
    expect(reported).toBe(200);
    expect(ended).toBe('SUCCEEDED');
    expect(closure).toBe('fulfilled');
    const grew = requestsGrown(before, after);
    for (const operation of ['PutItem', 'UpdateItem', 'GetItem', 'BatchGetItem', 'Query', 'BatchWriteItem']) {
      expect(grew(operation), operation).toBeGreaterThan(0);
    }
    // Nothing is deleted: a wait that is over takes its links out of the inboxes with an update.
    expect(grew('DeleteItem')).toBe(0);
    // The people the ticket names are listed as its viewers in one BatchWriteItem of several items.
    expect(after.dynamodbBatchWriteItems - before.dynamodbBatchWriteItems).toBeGreaterThan(
      grew('BatchWriteItem'),
    );
    // Route, NextStep, WaitForApproval, AfterApproval, NextStep, WaitForFulfilment, AfterFulfilment, NextStep, Done:
    // the Choice and Succeed states count, the local service's own goto tasks do not.
    expect(after.stepfunctions.stateTransitions - before.stepfunctions.stateTransitions).toBe(9);
    expect(after.stepfunctions.executionsStarted - before.stepfunctions.executionsStarted).toBe(1);
    // Route, the two notify tasks, AfterApproval, AfterFulfilment.
    expect(after.lambda.workflow - before.lambda.workflow).toBe(5);
    // At least intake, the inbox, the decision, the fulfilment report and the reads of the ticket.
    expect(after.lambda.http - before.lambda.http).toBeGreaterThanOrEqual(5);
    expect(after.lambda.scheduled).toBe(before.lambda.scheduled);
    // Erin's approval request; the fulfilment request to Ian and Bo, the system's fulfillers; the
    // requester's "Approved" and "Fulfilled"; the survey that asks the requester how it went.
    expect(after.ses.emails - before.ses.emails).toBe(6);
  });

  it("writes at most 20 items for that ticket from intake to closure (issue 10's target; it took 26), besides its grant, its number and its survey link", async () => {
    // Act
    const { before, after, ended, closure } = await oneTicketFromIntakeToClosure();

    // Assess: writes as the bench counts them, and DynamoDB bills them: each put, update and delete,
    // each item of a BatchWriteItem on its own.
    expect(ended).toBe('SUCCEEDED');
    expect(closure).toBe('fulfilled');
    const grew = requestsGrown(before, after);
    const writes = {
      PutItem: grew('PutItem'),
      UpdateItem: grew('UpdateItem'),
      DeleteItem: grew('DeleteItem'),
      itemsInBatchWrites: after.dynamodbBatchWriteItems - before.dynamodbBatchWriteItems,
    };
    const total = Object.values(writes).reduce((sum, count) => sum + count, 0);
    // Added after issue 10's target was set, each counted apart so that the target still measures
    // the workflow: the grant the fulfilment leaves (issue 13), an item of its own put once, and the
    // ticket's readable number (issue 14): the counter's update and the NUMBER item that finds it;
    // the survey's single-use link (issue 16), put once at resolution.
    const grant = 1;
    const number = 2;
    const surveyLink = 1;
    expect(total - grant - number - surveyLink, JSON.stringify(writes)).toBeLessThanOrEqual(20);
    // Billed in write units: at least one a write on the table (the ticket, 5 KB and more, takes
    // several), and the index entries the ticket's status changes move.
    const units = after.dynamodbWriteUnits.table - before.dynamodbWriteUnits.table;
    expect(units).toBeGreaterThan(total);
    expect(after.dynamodbWriteUnits.indexes - before.dynamodbWriteUnits.indexes).toBeGreaterThan(0);
  });
});

describe('GET /dev/memory', () => {
  it('answers the memory of the process the local system runs in, collecting first only where node exposes gc', async () => {
    // Act
    const response = await fetch(`${system.url}/dev/memory`);

    // Assess
    expect(response.status).toBe(200);
    const memory = (await response.json()) as LocalMemory;
    // The runtime runs in this test's process, which vitest starts without --expose-gc.
    expect(memory.pid).toBe(process.pid);
    expect(memory.collected).toBe(globalThis.gc !== undefined);
    expect(memory.heapUsed).toBeGreaterThan(0);
    expect(memory.rss).toBeGreaterThanOrEqual(memory.heapUsed);
  });
});
