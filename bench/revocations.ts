import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoDirectory } from '../functions/adapters/dynamodb/directory-store';
import { partitionQuery } from '../functions/adapters/dynamodb/table';
import { DynamoTicketStore } from '../functions/adapters/dynamodb/ticket-store';
import { DynamoGrantStore, DynamoTaskStore } from '../functions/adapters/dynamodb/workflow-records';
import { InjectedFaults } from '../functions/adapters/faults';
import { SchedulerGrantSchedules } from '../functions/adapters/scheduler';
import { StepFunctionsRevocations } from '../functions/adapters/step-functions';
import { systemClock } from '../functions/adapters/system';
import { sweepDueRevocations } from '../functions/app/revocations';
import { writeDerivedItems } from '../functions/app/workflow-steps';
import { grantFrom } from '../functions/domain/grants';
import type { Ticket } from '../functions/domain/ticket';
import { LOCAL_TABLE_NAME, localCredentials } from '../functions/local/dynamodb';
import { localGrantSchedules } from '../functions/local/runtime';
import { revocationStateMachine } from '../functions/workflow';
import { GrantScript, inParallel } from './grants';
import { JsonClient } from './http-client';
import { localDynamoClient, type Ready, type WithLocalSystem } from './local-system';
import { percentile, round } from './measure';
import { emailFiles, readEmail } from './outbox-watcher';
import type { Progress } from './progress';
import { countReads, type ReadCounts } from './read-counts';
import type { RunStamp } from './report';

/** A whole number from the environment, so a smoke run can be small; `fallback` when unset. */
export function sizeFrom(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

/**
 * Issue 13: 1,000 grants ending within one minute at TOLLGATE_TIME_SCALE=1. `leadSeconds`: from the
 * start of the setup to the first `until`, long enough to write every grant and its schedule first.
 */
export const REVOCATION_LAG = {
  grants: sizeFrom('BENCH_REVOCATION_GRANTS', 1000),
  windowSeconds: sizeFrom('BENCH_REVOCATION_WINDOW_SECONDS', 60),
  leadSeconds: sizeFrom('BENCH_REVOCATION_LEAD_SECONDS', 60),
};
/** Issue 13: from `until` to the revoke task emailed, p99 under 60 s. */
export const REVOCATION_LAG_TARGET_P99_MS = 60_000;
/** After the last `until`, how long the bench waits for the emails still missing before it counts them lost. */
const EMAIL_GRACE_MS = 5 * 60_000;
const OUTBOX_POLL_MS = 1000;
const WRITES_IN_FLIGHT = 8;
/** TOLLGATE_TIME_SCALE as issue 13 measures it: an hour lasts an hour. */
const UNSCALED = { TOLLGATE_TIME_SCALE: '1' };

/** Issue 13: the sweep's reads at 10,000 active grants, of which only the due ones are to be read. */
export const SWEEP_READS = {
  grants: sizeFrom('BENCH_SWEEP_GRANTS', 10_000),
  due: sizeFrom('BENCH_SWEEP_DUE', 100),
};
/** The system's own sweep must not run between writing the due grants and the bench's sweep: this much clear. */
const SWEEP_CLEARANCE_MS = 30_000;

export interface RevocationLagResult extends RunStamp {
  grants: number;
  windowSeconds: number;
  /** Seconds spent writing the grants, their tickets, holders and schedules, before the first `until`. */
  setupSeconds: number;
  /** The revoke emails each grant's revocation sends: one to each of the system's fulfillers. */
  emailsPerGrant: number;
  /** Grants whose revoke emails had not all landed `EMAIL_GRACE_MS` after the last `until`. */
  missing: number;
  /** Milliseconds from each grant's `until` to the last of its revoke emails landing in the outbox. */
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  /** The same, to the first of its emails. */
  firstEmailP99: number;
  pass: boolean;
}

/**
 * Revocation lag: `grants` time-bound grants whose `until` falls evenly over `windowSeconds`, each on
 * a local system at TOLLGATE_TIME_SCALE=1 as the access-request workflow leaves a fulfilled ticket
 * (the ticket, its grant, its one-time schedule at the local Scheduler endpoint), recorded through
 * the same app code (GrantScript, then writeDerivedItems) rather than requested, approved and
 * fulfilled through the API. What is measured is what follows on its own: the schedule fires, the
 * revocation execution starts, its BeginRevocation step emails the fulfillers.
 */
export async function measureRevocationLag(
  withLocalSystem: WithLocalSystem,
  stamp: RunStamp,
  progress: Progress,
): Promise<RevocationLagResult> {
  const { grants, windowSeconds, leadSeconds } = REVOCATION_LAG;
  return withLocalSystem(
    async (system) => {
      const script = GrantScript.create();
      const dynamodb = localDynamoClient(system.dynamodbUrl, WRITES_IN_FLIGHT);
      const services = await localServices(system);
      try {
        const db = createDocumentClient(dynamodb);
        const directory = new DynamoDirectory(db, LOCAL_TABLE_NAME);
        const deps = {
          clock: systemClock,
          faults: new InjectedFaults(''),
          tickets: new DynamoTicketStore(db, LOCAL_TABLE_NAME),
          grants: new DynamoGrantStore(db, LOCAL_TABLE_NAME),
          tasks: new DynamoTaskStore(db, LOCAL_TABLE_NAME),
          revocations: services.revocations,
          grantSchedules: services.grantSchedules,
        };

        const setupStart = Date.now();
        const firstUntil = setupStart + leadSeconds * 1000;
        const untils = Array.from(
          { length: grants },
          (_, index) => firstUntil + Math.round((index * windowSeconds * 1000) / grants),
        );
        const tickets: Ticket[] = [];
        for (const [index, until] of untils.entries()) {
          tickets.push(await script.grantedTicket(script.holder(index), new Date(until)));
        }
        let written = 0;
        await inParallel(tickets, WRITES_IN_FLIGHT, async (ticket, index) => {
          await directory.putIdentity(script.holder(index), null, []);
          await deps.tickets.create(ticket);
          // As the fulfilment step does once the ticket is committed: the grant, then its schedule.
          await writeDerivedItems(deps, ticket, 'fulfilment');
          progress.update('revocation-lag', ++written, grants, 'grants and schedules written');
        });
        const setupEnd = Date.now();
        // A grant written after its `until` has its revocation started by writeDerivedItems, not its schedule.
        if (setupEnd >= firstUntil) {
          throw new Error(
            `Writing ${grants} grants took ${round((setupEnd - setupStart) / 1000)} s, past the first until: ` +
              'raise BENCH_REVOCATION_LEAD_SECONDS',
          );
        }
        progress.finish(
          `revocation-lag: ${grants} grants and schedules written in ${round((setupEnd - setupStart) / 1000)} s; ` +
            `the first ends in ${round((firstUntil - setupEnd) / 1000)} s`,
        );

        const emailsPerGrant = script.revokers.length;
        const sent = await revokeEmails(
          system.dataDir,
          grants * emailsPerGrant,
          untils.at(-1) ?? 0,
          progress,
        );
        const lastLags: number[] = [];
        const firstLags: number[] = [];
        let missing = 0;
        for (const ticket of tickets) {
          const times = (sent.get(ticket.id) ?? []).sort((a, b) => a - b);
          const until = Date.parse(ticket.grant?.until ?? '');
          if (times.length < emailsPerGrant) missing++;
          else {
            lastLags.push((times.at(-1) as number) - until);
            firstLags.push((times[0] as number) - until);
          }
        }
        lastLags.sort((a, b) => a - b);
        firstLags.sort((a, b) => a - b);
        const p99 = percentile(lastLags, 99);
        return {
          ...stamp,
          grants,
          windowSeconds,
          setupSeconds: round((setupEnd - setupStart) / 1000),
          emailsPerGrant,
          missing,
          p50: percentile(lastLags, 50),
          p90: percentile(lastLags, 90),
          p95: percentile(lastLags, 95),
          p99,
          max: lastLags.at(-1) ?? 0,
          firstEmailP99: percentile(firstLags, 99),
          pass: missing === 0 && p99 < REVOCATION_LAG_TARGET_P99_MS,
        };
      } finally {
        dynamodb.destroy();
        services.close();
      }
    },
    { env: UNSCALED },
  );
}

/**
 * Per ticket, when each of its "To revoke" emails landed. While they come in, only the folder's
 * names are read (the bench shares the machine with what it measures); the emails are parsed once
 * all `expected` are there, or `EMAIL_GRACE_MS` after `lastUntil`.
 */
async function revokeEmails(
  dataDir: string,
  expected: number,
  lastUntil: number,
  progress: Progress,
): Promise<Map<string, number[]>> {
  const outboxDir = `${dataDir}/outbox`;
  let names = await emailFiles(outboxDir);
  let shown = -1;
  while (names.length < expected && Date.now() < lastUntil + EMAIL_GRACE_MS) {
    if (names.length !== shown)
      progress.update('revocation-lag', names.length, expected, 'revoke emails landed');
    shown = names.length;
    await new Promise((resolve) => setTimeout(resolve, OUTBOX_POLL_MS));
    names = await emailFiles(outboxDir);
  }
  progress.finish(`revocation-lag: ${names.length} of ${expected} revoke emails landed`);
  const sent = new Map<string, number[]>();
  for (const name of names) {
    const email = await readEmail(outboxDir, name);
    const ticketId = /^To revoke: .*\((\w+)\)$/.exec(email.subject)?.[1];
    if (ticketId) sent.set(ticketId, [...(sent.get(ticketId) ?? []), email.sentAt]);
  }
  return sent;
}

/** The local Scheduler and Step Functions endpoints as the app's adapters use them, from GET /dev/endpoints. */
async function localServices(system: Ready) {
  const api = new JsonClient(system.url, 1);
  const { status, body } = await api.get('/dev/endpoints');
  api.close();
  if (status !== 200) throw new Error(`GET /dev/endpoints answered ${status}`);
  const endpoints = body as { stepfunctions: string; scheduler: string };
  const local = { region: 'us-east-1', credentials: localCredentials };
  const sfn = new SFNClient({ ...local, endpoint: endpoints.stepfunctions });
  const scheduler = new SchedulerClient({ ...local, endpoint: endpoints.scheduler });
  const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
  const arn = stateMachines?.find(
    (machine) => machine.name === revocationStateMachine?.name,
  )?.stateMachineArn;
  if (!arn) throw new Error('The local Step Functions service has no revocation state machine');
  return {
    revocations: new StepFunctionsRevocations(sfn, arn),
    grantSchedules: new SchedulerGrantSchedules(scheduler, localGrantSchedules),
    close: () => {
      sfn.destroy();
      scheduler.destroy();
    },
  };
}

export interface SweepReadsResult extends RunStamp, ReadCounts {
  grants: number;
  due: number;
  /** Entries in REVOKE_DUE (gsi5) just before the sweep, counted apart from it. */
  indexEntries: number;
  /** Revocations the sweep started, and the due grants it found. */
  started: number;
  found: number;
  ms: number;
  /** It read only the due grants (and their tickets), never a Scan. */
  pass: boolean;
}

/**
 * The sweep's reads: `grants` active time-bound grants written through the grant store, `due` of
 * them with their `until` passed (those with their tickets, so the sweep starts their revocations);
 * the others end within the next 30 days and have no ticket written, which the sweep never reads.
 * Then one sweepDueRevocations through a client that counts what it reads.
 */
export async function measureSweepReads(
  withLocalSystem: WithLocalSystem,
  stamp: RunStamp,
  progress: Progress,
): Promise<SweepReadsResult> {
  const { grants, due } = SWEEP_READS;
  if (due > grants) throw new Error('BENCH_SWEEP_DUE cannot exceed BENCH_SWEEP_GRANTS');
  return withLocalSystem(
    async (system) => {
      const script = GrantScript.create();
      const writing = localDynamoClient(system.dynamodbUrl, WRITES_IN_FLIGHT);
      const reading = localDynamoClient(system.dynamodbUrl, 1);
      const services = await localServices(system);
      try {
        const writeDb = createDocumentClient(writing);
        const grantStore = new DynamoGrantStore(writeDb, LOCAL_TABLE_NAME);
        const ticketStore = new DynamoTicketStore(writeDb, LOCAL_TABLE_NAME);
        const now = Date.now();
        let written = 0;
        const wrote = () => progress.update('sweep-reads', ++written, grants, 'grants written');
        const notDue = Array.from({ length: grants - due }, (_, index) => index);
        await inParallel(notDue, WRITES_IN_FLIGHT, async (index) => {
          // From an hour to 30 days ahead, spread evenly.
          const until = now + 3_600_000 + Math.round((index * 29 * 86_400_000) / notDue.length);
          const grant = grantFrom(await script.grantedTicket(script.holder(index), new Date(until)));
          if (grant) await grantStore.put(grant);
          wrote();
        });
        await clearOfSystemSweep(system, progress);
        const dueIndexes = Array.from({ length: due }, (_, index) => grants - due + index);
        await inParallel(dueIndexes, WRITES_IN_FLIGHT, async (index) => {
          const ticket = await script.grantedTicket(script.holder(index), new Date(Date.now() - 1000));
          await ticketStore.create(ticket);
          const grant = grantFrom(ticket);
          if (grant) await grantStore.put(grant);
          wrote();
        });
        progress.finish(`sweep-reads: ${grants} grants written, ${due} of them due`);
        const indexEntries = await countRevokeDue(writing);

        const counts = countReads(reading);
        const readDb = createDocumentClient(reading);
        const start = performance.now();
        const swept = await sweepDueRevocations({
          clock: systemClock,
          grants: new DynamoGrantStore(readDb, LOCAL_TABLE_NAME),
          tickets: new DynamoTicketStore(readDb, LOCAL_TABLE_NAME),
          revocations: services.revocations,
        });
        const ms = round(performance.now() - start);
        const index = counts.items.Query ?? 0;
        const grantsRead = counts.items.BatchGetItem ?? 0;
        return {
          ...stamp,
          ...counts,
          grants,
          due,
          indexEntries,
          started: swept.started,
          found: swept.due,
          ms,
          pass: index === due && grantsRead === due && swept.due === due && !counts.requests.Scan,
        };
      } finally {
        writing.destroy();
        reading.destroy();
        services.close();
      }
    },
    { env: UNSCALED },
  );
}

/**
 * Waits, if need be, until the system's own `revocation-sweep` has just run, so that it does not start
 * the due grants' revocations between their writing and the bench's sweep.
 */
async function clearOfSystemSweep(system: Ready, progress: Progress): Promise<void> {
  const api = new JsonClient(system.url, 1);
  try {
    const nextRun = async () => {
      const { body } = await api.get('/dev/schedules');
      const sweep = (body as { schedules: { name: string; nextRun: string | null }[] }).schedules.find(
        (schedule) => schedule.name === 'revocation-sweep',
      );
      return sweep?.nextRun ? Date.parse(sweep.nextRun) : Number.POSITIVE_INFINITY;
    };
    const next = await nextRun();
    if (next - Date.now() >= SWEEP_CLEARANCE_MS) return;
    progress.update('sweep-reads', 0, 1, "waiting for the system's own sweep to run first");
    while ((await nextRun()) <= next) await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    api.close();
  }
}

/** Entries in the sparse REVOKE_DUE partition of gsi5, all of them (due or not yet), counted by DynamoDB. */
async function countRevokeDue(client: DynamoDBClient): Promise<number> {
  const db = createDocumentClient(client);
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAME,
        ...partitionQuery('revocationDue', ''),
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** The sweep's read capacity units in all, or `unreported` when the store reported none. */
export function capacityUnits(sweep: Pick<SweepReadsResult, 'capacityUnits'>): string {
  const units = Object.values(sweep.capacityUnits);
  return units.length === 0 ? 'unreported' : String(round(units.reduce((sum, value) => sum + value, 0)));
}
