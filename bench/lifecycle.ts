import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
} from '@aws-sdk/client-sfn';
import type { LocalMemory, LocalMetrics } from '../functions/local/dev-routes';
import { localCredentials, type WriteUnits } from '../functions/local/dynamodb';
import { ACCESS_REQUEST_STATE_MACHINE } from '../functions/workflow';
import { devToken, expectOk, JsonClient, unexpected } from './http-client';
import { percentile, round } from './measure';
import type { Progress } from './progress';

/** Erin's direct reports file for themselves; Erin, their manager, approves; Ian, a fulfiller of github, reports. */
const REQUESTERS = ['alex.dev@example.com', 'bo.dev@example.com'];
const APPROVER = 'erin.lead@example.com';
const FULFILLER = 'ian.helpdesk@example.com';
/** No duration, so the ticket closes as `fulfilled` right after fulfilment. */
const REQUEST = {
  type: 'access',
  system: 'github',
  entitlement: 'github-write',
  justification: 'Push the release branch for 4.2',
};

/**
 * Tickets counted one at a time for the per-ticket figures (even: Alex and Bo alike), then tickets run through
 * concurrent pipelines for the rate and the time to closure.
 */
export const LIFECYCLE = { countedTickets: 10, tickets: 100, pipelines: 4 };
/** How often the scripted people look at their inbox, and requesters at their ticket's execution, when idle. */
const POLL_MS = 50;
/** A ticket whose execution runs this long is stuck, not slow: the bench stops and says so. */
const EXECUTION_TIMEOUT_MS = 60_000;

const READS = ['GetItem', 'Query', 'Scan', 'BatchGetItem'];
/** BatchWriteItem requests are left out: the writes inside them are counted one by one. */
const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem'];

/** The store's writes the metrics count: puts, updates, deletes, and each item of a BatchWriteItem. */
export const storeWrites = (metrics: LocalMetrics): number =>
  WRITES.reduce((total, name) => total + (metrics.dynamodb[name] ?? 0), 0) + metrics.dynamodbBatchWriteItems;

/** What one ticket from intake to closure makes the system do: means over the counted tickets. */
export interface PerTicket {
  stateTransitions: number;
  /** The state machine's Lambda tasks (retries included). */
  workflowInvocations: number;
  /** The API calls of the flow: intake, the approver's inbox listing, the decision, the fulfilment report. */
  httpInvocations: number;
  /** DynamoDB requests per operation. */
  dynamodb: Record<string, number>;
  /** Puts, updates and deletes, each write inside a BatchWriteItem counted as one. */
  writes: number;
  batchWriteRequests: number;
  batchWriteItems: number;
  /** The write request units DynamoDB would bill for those writes, on the table and on its indexes. */
  writeUnits: WriteUnits;
  /** GetItem, Query, Scan and BatchGetItem requests. */
  reads: number;
  emails: number;
  /** The JSON of the largest closed ticket `GET /requests/{id}` answered, in bytes. */
  ticketBytes: number;
}

export interface LifecycleResult {
  tickets: number;
  pipelines: number;
  seconds: number;
  ticketsPerSecond: number;
  /** Milliseconds from each ticket's `submitted` event to its `closed` event (server clock). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  countedTickets: number;
  perTicket: PerTicket;
}

export interface Ticket {
  id: string;
  status: string;
  closure: string | null;
  timeline: { at: string; to: string | null }[];
}

interface InboxItem {
  id: string;
  ticket: { id: string };
}

/**
 * Drives the local system at `url` as people would: requesters file through the API, the approver decides from
 * the inbox and the fulfiller reports. Waiting is done on what costs nothing in AWS terms (`GET /dev/metrics`, the
 * local Step Functions endpoint), so the counted tickets' figures hold only the flow's own work.
 */
export async function runLifecycle(url: string, progress: Progress): Promise<LifecycleResult> {
  const flow = await Flow.open(url, LIFECYCLE.pipelines);
  try {
    const counted = await countPerTicket(flow, progress);
    const timed = await runPipelines(flow, progress);
    return { ...timed, countedTickets: LIFECYCLE.countedTickets, perTicket: counted };
  } finally {
    flow.close();
  }
}

/**
 * One ticket at a time, the metrics read before intake and after its execution ended: each delta is that ticket's
 * whole lifecycle and nothing else. The next step waits for the email that announces it, as a person would.
 */
async function countPerTicket(flow: Flow, progress: Progress): Promise<PerTicket> {
  const deltas: LocalMetrics[] = [];
  let ticketBytes = 0;
  for (let n = 0; n < LIFECYCLE.countedTickets; n++) {
    const requester = REQUESTERS[n % REQUESTERS.length] as string;
    const before = await flow.metrics();
    const id = await flow.file(requester);
    const approvalSent = await flow.emailsAbove(before.ses.emails);
    await flow.decide(await flow.approvalTaskFor(id));
    // The requester's "Approved" comes first; a fulfiller's email means the fulfilment task is stored.
    await flow.emailsAbove(approvalSent + 1);
    await flow.reportFulfilment(id);
    await flow.executionEnded(id);
    const after = await flow.metrics();
    // The reconcile schedule is not part of a ticket's lifecycle (it first runs 5 minutes after start).
    if (after.lambda.scheduled !== before.lambda.scheduled) {
      throw new Error('A scheduled job ran while a ticket was being counted: run the bench again');
    }
    deltas.push(difference(after, before));
    const ticket = await flow.closedTicket(requester, id);
    ticketBytes = Math.max(ticketBytes, Buffer.byteLength(JSON.stringify(ticket)));
    progress.update('lifecycle, counted one at a time', n + 1, LIFECYCLE.countedTickets, 'tickets');
  }
  progress.finish(`lifecycle: ${LIFECYCLE.countedTickets} tickets counted one at a time`);
  return perTicket(deltas, ticketBytes);
}

/** Tickets per second through `LIFECYCLE.pipelines` pipelines, and each ticket's time from intake to closure. */
async function runPipelines(
  flow: Flow,
  progress: Progress,
): Promise<Omit<LifecycleResult, 'countedTickets' | 'perTicket'>> {
  const durations: number[] = [];
  const start = performance.now();
  await closeTickets(flow, LIFECYCLE.tickets, LIFECYCLE.pipelines, (ticket) => {
    durations.push(intakeToClosure(ticket));
    progress.update('lifecycle, pipelined', durations.length, LIFECYCLE.tickets, 'tickets closed');
  });
  const seconds = (performance.now() - start) / 1000;
  progress.finish(`lifecycle: ${LIFECYCLE.tickets} tickets through ${LIFECYCLE.pipelines} pipelines`);
  const sorted = durations.sort((a, b) => a - b);
  return {
    tickets: LIFECYCLE.tickets,
    pipelines: LIFECYCLE.pipelines,
    seconds: round(seconds),
    ticketsPerSecond: round(LIFECYCLE.tickets / seconds),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

/**
 * Takes `tickets` tickets from intake to closure: `pipelines` requesters, each filing its next ticket when its
 * last one closed, while one approver and one fulfiller work through their inboxes. `closed` gets each ticket
 * once its execution has ended.
 */
export async function closeTickets(
  flow: Flow,
  tickets: number,
  pipelines: number,
  closed: (ticket: Ticket) => void,
): Promise<void> {
  let next = 0;
  let allClosed = false;
  const requester = async () => {
    while (next < tickets) {
      const who = REQUESTERS[next++ % REQUESTERS.length] as string;
      const id = await flow.file(who);
      await flow.executionEnded(id);
      closed(await flow.closedTicket(who, id));
    }
  };
  const worker = async (work: () => Promise<number>) => {
    while (!allClosed) {
      if ((await work()) === 0) await sleep(POLL_MS);
    }
  };
  await Promise.all([
    Promise.all(Array.from({ length: pipelines }, requester)).finally(() => {
      allClosed = true;
    }),
    worker(() => flow.approveInbox()),
    worker(() => flow.fulfilInbox()),
  ]);
}

/** The calls each person makes, checked, so a broken flow stops the bench instead of skewing its figures. */
export class Flow {
  /** Executions are named after their ticket. */
  private readonly executionArnPrefix =
    `arn:aws:states:us-east-1:000000000000:execution:${ACCESS_REQUEST_STATE_MACHINE}`;

  private constructor(
    private readonly api: JsonClient,
    private readonly sfn: SFNClient,
    private readonly tokens: Map<string, string>,
  ) {}

  /** Signs the scripted people in to the local system at `url`, with connections for `pipelines` requesters. */
  static async open(url: string, pipelines: number): Promise<Flow> {
    // The approver and the fulfiller work alongside the requesters.
    const api = new JsonClient(url, pipelines + 2);
    try {
      const endpoints = (await expectOk(api.get('/dev/endpoints'), 'GET /dev/endpoints')) as {
        stepfunctions: string;
      };
      const sfn = new SFNClient({
        endpoint: endpoints.stepfunctions,
        region: 'us-east-1',
        credentials: localCredentials,
      });
      return new Flow(api, sfn, await tokensFor(api, [...REQUESTERS, APPROVER, FULFILLER]));
    } catch (error) {
      api.close();
      throw error;
    }
  }

  close(): void {
    this.api.close();
    this.sfn.destroy();
  }

  async metrics(): Promise<LocalMetrics> {
    return (await expectOk(this.api.get('/dev/metrics'), 'GET /dev/metrics')) as LocalMetrics;
  }

  async memory(): Promise<LocalMemory> {
    return (await expectOk(this.api.get('/dev/memory'), 'GET /dev/memory')) as LocalMemory;
  }

  /** Runs a schedule now (local only), as its timer would. */
  async runSchedule(name: string): Promise<void> {
    await expectOk(this.api.post(`/dev/schedules/${name}/run`, {}), `POST /dev/schedules/${name}/run`);
  }

  /** Waits until no execution is running: each ended one has left memory for the archive. */
  async noneRunning(): Promise<void> {
    await this.poll(async () => {
      const { executionsRunning } = (await this.metrics()).stepfunctions;
      return executionsRunning === 0 ? true : undefined;
    }, 'no execution running');
  }

  async file(requester: string): Promise<string> {
    const response = await this.api.post('/requests', REQUEST, this.auth(requester));
    if (response.status !== 201) throw unexpected('POST /requests', response);
    return (response.body as { id: string }).id;
  }

  async approvalTaskFor(ticketId: string): Promise<string> {
    const task = (await this.inbox(APPROVER, '/approvals')).find((item) => item.ticket.id === ticketId);
    if (!task) throw new Error(`Ticket ${ticketId} is not in ${APPROVER}'s inbox after the approval email`);
    return task.id;
  }

  async decide(taskId: string): Promise<void> {
    await expectOk(
      this.api.post(
        `/approvals/${taskId}/decision`,
        { decision: 'approve', comment: 'bench' },
        this.auth(APPROVER),
      ),
      'POST /approvals/{id}/decision',
    );
  }

  async reportFulfilment(ticketId: string): Promise<void> {
    await expectOk(
      this.api.post(
        `/requests/${ticketId}/fulfilment`,
        { result: 'done', note: 'bench' },
        this.auth(FULFILLER),
      ),
      'POST /requests/{id}/fulfilment',
    );
  }

  /** Decides every task in the approver's inbox; answers how many there were. */
  async approveInbox(): Promise<number> {
    const items = await this.inbox(APPROVER, '/approvals');
    for (const item of items) await this.decide(item.id);
    return items.length;
  }

  /** Reports every ticket in the fulfiller's inbox done; answers how many there were. */
  async fulfilInbox(): Promise<number> {
    const items = await this.inbox(FULFILLER, '/fulfilments');
    for (const item of items) await this.reportFulfilment(item.ticket.id);
    return items.length;
  }

  /** Waits until more emails than `count` were sent, and answers how many were. */
  async emailsAbove(count: number): Promise<number> {
    return this.poll(async () => {
      const { emails } = (await this.metrics()).ses;
      return emails > count ? emails : undefined;
    }, `more than ${count} emails`);
  }

  execution(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    return this.sfn.send(new DescribeExecutionCommand({ executionArn }));
  }

  /** Waits until the ticket's execution has ended: from then on it does nothing more. */
  async executionEnded(ticketId: string): Promise<void> {
    const status = await this.poll(async () => {
      const { status } = await this.execution(`${this.executionArnPrefix}:${ticketId}`);
      return status === 'RUNNING' ? undefined : status;
    }, `the end of ticket ${ticketId}'s execution`);
    if (status !== 'SUCCEEDED') throw new Error(`Ticket ${ticketId}'s execution ended ${status}`);
  }

  async closedTicket(requester: string, ticketId: string): Promise<Ticket> {
    const ticket = (await expectOk(
      this.api.get(`/requests/${ticketId}`, this.auth(requester)),
      'GET /requests/{id}',
    )) as Ticket;
    if (ticket.closure !== 'fulfilled') {
      throw new Error(`Ticket ${ticketId} ended ${ticket.status}/${ticket.closure}, not closed as fulfilled`);
    }
    return ticket;
  }

  private async inbox(who: string, path: string): Promise<InboxItem[]> {
    return ((await expectOk(this.api.get(path, this.auth(who)), `GET ${path}`)) as { items: InboxItem[] })
      .items;
  }

  private async poll<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + EXECUTION_TIMEOUT_MS;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`Waited ${EXECUTION_TIMEOUT_MS / 1000}s for ${what}`);
      await sleep(POLL_MS);
    }
  }

  private auth(identity: string): Record<string, string> {
    return { authorization: `Bearer ${this.tokens.get(identity)}` };
  }
}

async function tokensFor(api: JsonClient, identities: string[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const identity of identities) tokens.set(identity, await devToken(api, identity));
  return tokens;
}

function intakeToClosure(ticket: Ticket): number {
  const submitted = ticket.timeline[0];
  const closed = ticket.timeline.find((event) => event.to === 'closed');
  if (!submitted || !closed)
    throw new Error(`Ticket ${ticket.id}'s timeline lacks its submission or closure`);
  return Date.parse(closed.at) - Date.parse(submitted.at);
}

/** The counters that grew from `before` to `after`, keeping only what this bench reads. */
function difference(after: LocalMetrics, before: LocalMetrics): LocalMetrics {
  const operations = Object.keys(after.dynamodb);
  return {
    dynamodb: Object.fromEntries(
      operations.map((name) => [name, (after.dynamodb[name] ?? 0) - (before.dynamodb[name] ?? 0)]),
    ),
    dynamodbBatchWriteItems: after.dynamodbBatchWriteItems - before.dynamodbBatchWriteItems,
    dynamodbWriteUnits: {
      table: after.dynamodbWriteUnits.table - before.dynamodbWriteUnits.table,
      indexes: after.dynamodbWriteUnits.indexes - before.dynamodbWriteUnits.indexes,
    },
    stepfunctions: {
      stateTransitions: after.stepfunctions.stateTransitions - before.stepfunctions.stateTransitions,
      executionsStarted: after.stepfunctions.executionsStarted - before.stepfunctions.executionsStarted,
      executionsRunning: after.stepfunctions.executionsRunning - before.stepfunctions.executionsRunning,
    },
    lambda: {
      http: after.lambda.http - before.lambda.http,
      workflow: after.lambda.workflow - before.lambda.workflow,
      scheduled: after.lambda.scheduled - before.lambda.scheduled,
      invoked: after.lambda.invoked - before.lambda.invoked,
    },
    ses: { emails: after.ses.emails - before.ses.emails },
  };
}

function perTicket(deltas: LocalMetrics[], ticketBytes: number): PerTicket {
  const mean = (value: (delta: LocalMetrics) => number) =>
    round(deltas.reduce((sum, delta) => sum + value(delta), 0) / deltas.length);
  const operations = [...new Set(deltas.flatMap((delta) => Object.keys(delta.dynamodb)))].sort();
  const dynamodb = Object.fromEntries(
    operations
      .map((name) => [name, mean((delta) => delta.dynamodb[name] ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );
  const sum = (names: string[]) => round(names.reduce((total, name) => total + (dynamodb[name] ?? 0), 0));
  const batchWriteItems = mean((delta) => delta.dynamodbBatchWriteItems);
  return {
    stateTransitions: mean((delta) => delta.stepfunctions.stateTransitions),
    workflowInvocations: mean((delta) => delta.lambda.workflow),
    httpInvocations: mean((delta) => delta.lambda.http),
    dynamodb,
    writes: mean(storeWrites),
    batchWriteRequests: dynamodb.BatchWriteItem ?? 0,
    batchWriteItems,
    writeUnits: {
      table: mean((delta) => delta.dynamodbWriteUnits.table),
      indexes: mean((delta) => delta.dynamodbWriteUnits.indexes),
    },
    reads: sum(READS),
    emails: mean((delta) => delta.ses.emails),
    ticketBytes,
  };
}
