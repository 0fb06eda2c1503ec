import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMemory, LocalMetrics } from '../../functions/local/dev-routes';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
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
  const sfn = new SFNClient({
    endpoint: system.runtime.endpoints.stepfunctions,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
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

describe('GET /dev/metrics', () => {
  it('counts the store requests, state transitions, Lambda invocations and emails of one ticket from intake to closure', async () => {
    // Prepare
    const before = await metrics();

    // Act: file, approve from the inbox, report the fulfilment, wait for the execution to end
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

    // Assess
    expect(decided.status).toBe(200);
    expect(reported.status).toBe(200);
    expect(ended).toBe('SUCCEEDED');
    expect((await client.ticket(requester, ticket.id)).closure).toBe('fulfilled');
    const grew = (operation: string) => (after.dynamodb[operation] ?? 0) - (before.dynamodb[operation] ?? 0);
    // (No UpdateItem: only the emailed links' single use updates an item.)
    for (const operation of ['PutItem', 'GetItem', 'Query', 'BatchWriteItem', 'DeleteItem']) {
      expect(grew(operation), operation).toBeGreaterThan(0);
    }
    // Each task write puts the task item and one assignment per assignee in one BatchWriteItem.
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
    // Erin's approval request; the fulfilment request to Ian and Bo, the system's fulfillers.
    expect(after.ses.emails - before.ses.emails).toBe(3);
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
