import { z } from 'zod';
import type { Identity, Role } from '../domain/directory';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { decideOutcome, type PolicyOutcome } from '../domain/policy/outcome';
import { policySetSchema } from '../domain/policy/policy-set';
import {
  addToTally,
  compare,
  emptyTally,
  finishTally,
  type SimulationTally,
  type TallyEntry,
} from '../domain/policy/simulation';
import { parseOrThrow } from '../domain/validation';
import type {
  Clock,
  Faults,
  HistoryCursor,
  HistoryEntry,
  Ids,
  Job,
  JobRunner,
  JobStore,
  PolicyEngine,
  PolicyEvaluator,
  PolicySnapshot,
  PolicyStore,
  SnapshotStore,
  TicketHistory,
} from './ports';

/** Who simulates policies: the people who oversee them. */
const OVERSIGHT: readonly Role[] = ['admin', 'auditor', 'security'];

/** A simulation looks this far back unless told otherwise. */
export const DEFAULT_SIMULATION_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

const dateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z' })
  .optional();

export const simulationRequestSchema = z
  .strictObject({
    policies: policySetSchema,
    from: dateTime.meta({
      description: `Tickets submitted from then; ${DEFAULT_SIMULATION_DAYS} days before \`to\` when left out`,
    }),
    to: dateTime.meta({ description: 'Tickets submitted until then; now when left out, and never later' }),
  })
  .meta({ id: 'SimulationRequest', description: 'A candidate policy set, and the period to replay' });

export interface SimulationParams {
  /** The candidate set's version: stored like any other, never made live by simulating it. */
  candidate: string;
  from: string;
  to: string;
}

export type SimulationJob = Job<SimulationParams, HistoryCursor, SimulationTally>;

export interface SimulationView {
  id: string;
  status: Job['status'];
  progress: Job['progress'];
  /** The result once the job is done; null until then. */
  result: SimulationTally | null;
  candidate: string;
  from: string;
  to: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  error: Job['error'];
}

export interface StartSimulationDeps {
  clock: Clock;
  ids: Ids;
  policies: Pick<PolicyEngine, 'compile'>;
  policyStore: PolicyStore;
  jobs: JobStore;
  simulations: JobRunner;
}

function assertOversight(caller: Identity): void {
  if (!caller.roles.some((role) => OVERSIGHT.includes(role))) {
    throw new ForbiddenError(`Only ${OVERSIGHT.join(', ')} may simulate policies`);
  }
}

/**
 * Primary course: check the candidate set as PUT /policies would, store it under its version
 * (not live), write the job, and start the execution that runs it. The answer is the job's id; the
 * work happens page by page in that execution, never in this call.
 */
export async function startSimulation(
  deps: StartSimulationDeps,
  caller: Identity,
  body: unknown,
): Promise<{ id: string }> {
  assertOversight(caller);
  const request = parseOrThrow(simulationRequestSchema, body, 'request');
  const now = deps.clock.now();
  const period = periodOf(request, now);
  const candidate = deps.policies.compile(request.policies);
  const at = now.toISOString();
  await deps.policyStore.store({
    version: candidate.version,
    policies: request.policies,
    createdAt: at,
    createdBy: caller.id,
  });
  const job: SimulationJob = {
    id: deps.ids.jobId(),
    kind: 'policy_simulation',
    status: 'queued',
    createdBy: caller.id,
    createdAt: at,
    updatedAt: at,
    params: { candidate: candidate.version, from: period.from.toISOString(), to: period.to.toISOString() },
    progress: { done: 0, total: null },
    steps: 0,
    cursor: null,
    result: null,
    error: null,
  };
  await deps.jobs.create(job);
  try {
    await deps.simulations.start(job.id);
  } catch (error) {
    await deps.jobs.fail(
      job.id,
      { name: (error as Error).name, message: 'The simulation could not start' },
      at,
    );
    throw error;
  }
  return { id: job.id };
}

/** `to` is never after now (the tickets of the period are then fixed); `from` defaults to 90 days before it. */
function periodOf(request: { from?: string | undefined; to?: string | undefined }, now: Date) {
  const asked = request.to ? new Date(request.to) : now;
  const to = asked.getTime() > now.getTime() ? now : asked;
  const from = request.from
    ? new Date(request.from)
    : new Date(to.getTime() - DEFAULT_SIMULATION_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('The period is empty', {
      from: `must be before to (${to.toISOString()}${request.to ? '' : ', now'})`,
    });
  }
  return { from, to };
}

/** Primary course: the job as it stands, its result once done (oversight roles only). */
export async function readSimulation(
  deps: { jobs: JobStore },
  caller: Identity,
  id: string,
): Promise<SimulationView> {
  assertOversight(caller);
  const { params, ...rest } = await readJob(deps.jobs, id);
  return {
    id: rest.id,
    status: rest.status,
    progress: rest.progress,
    result: rest.status === 'done' ? rest.result : null,
    candidate: params.candidate,
    from: params.from,
    to: params.to,
    createdBy: rest.createdBy,
    createdAt: rest.createdAt,
    updatedAt: rest.updatedAt,
    error: rest.error,
  };
}

export interface SimulationStepDeps {
  clock: Clock;
  policies: Pick<PolicyEngine, 'compile'>;
  policyStore: PolicyStore;
  snapshots: SnapshotStore;
  jobs: JobStore;
  history: TicketHistory;
  faults: Faults;
  settings: { simulationPageSize: number };
}

export interface SimulationStep {
  done: boolean;
  cursor: HistoryCursor | null;
  progress: Job['progress'];
}

/**
 * Primary course: one page of the period's tickets, replayed against the candidate, added to the
 * job's tally with the cursor of the next page in one conditional write. A step that finds the
 * job moved on (a retry of a step that had landed, or two runs of one step) answers where the job
 * stands and writes nothing, so every page counts once. The first step counts the period's tickets.
 */
export async function simulatePage(deps: SimulationStepDeps, jobId: string): Promise<SimulationStep> {
  const job = await readJob(deps.jobs, jobId);
  if (job.status === 'done' || job.status === 'failed') return stepOf(job);
  const stored = await deps.policyStore.get(job.params.candidate);
  if (!stored) throw new NotFoundError(`The candidate policy set ${job.params.candidate} is not stored`);
  const candidate = deps.policies.compile(stored.policies);
  const period = { from: new Date(job.params.from), to: new Date(job.params.to) };
  const total = job.steps === 0 ? await deps.history.count(period) : job.progress.total;

  const page = await deps.history.page(period, job.cursor, deps.settings.simulationPageSize);
  // Index entries whose ticket is gone or has moved on are left to the partition it is in now.
  const current = page.entries.filter((entry) => entry.ticket?.status === entry.listedAs);
  const snapshots = await deps.snapshots.getMany(
    current.flatMap((entry) => (entry.ticket?.decision?.inputs ? [entry.ticket.decision.inputs] : [])),
  );
  let tally = job.result ?? emptyTally();
  for (const entry of current) {
    const replayed = replay(entry, snapshots, candidate);
    if (replayed) tally = addToTally(tally, replayed);
  }

  const done = job.progress.done + current.length;
  const finished = page.next === null;
  const step = {
    status: finished ? ('done' as const) : ('running' as const),
    progress: { done, total },
    cursor: page.next,
    result: finished ? finishTally(tally, { inPeriod: total, read: done }) : tally,
    updatedAt: deps.clock.now().toISOString(),
  };
  if (!(await deps.jobs.advance(job.id, job.steps, step))) return stepOf(await readJob(deps.jobs, jobId));
  deps.faults.faultPoint('simulation-page-written');
  return { done: finished, cursor: step.cursor, progress: step.progress };
}

/** What one ticket adds to the tally: nothing for a support ticket, which no policy decides. */
function replay(
  entry: HistoryEntry,
  snapshots: ReadonlyMap<string, PolicySnapshot>,
  candidate: PolicyEvaluator,
): TallyEntry | null {
  const { ticket } = entry;
  if (ticket?.type !== 'access') return null;
  const hash = ticket.decision?.inputs;
  if (!ticket.decision || !hash)
    return { kind: 'not_replayable', ticketId: ticket.id, reason: 'no_snapshot' };
  const snapshot = snapshots.get(hash);
  if (!snapshot) return { kind: 'not_replayable', ticketId: ticket.id, reason: 'snapshot_missing' };
  let outcome: PolicyOutcome;
  try {
    outcome = decideOutcome(
      candidate.version,
      (action) => candidate.ask(snapshot.inputs, action),
      new Date(ticket.createdAt),
    );
  } catch (error) {
    // Inputs recorded under an older schema that the candidate's cannot read: that ticket only.
    if ((error as Error).name !== 'PolicyEvaluationError') throw error;
    return { kind: 'not_replayable', ticketId: ticket.id, reason: 'evaluation_failed' };
  }
  return { kind: 'replayed', comparison: compare(ticket, outcome) };
}

async function readJob(jobs: JobStore, id: string): Promise<SimulationJob> {
  const job = await jobs.get(id);
  if (job?.kind !== 'policy_simulation') throw new NotFoundError(`No simulation has id ${id}`);
  return job as SimulationJob;
}

const stepOf = (job: SimulationJob): SimulationStep => ({
  done: job.status === 'done' || job.status === 'failed',
  cursor: job.cursor,
  progress: job.progress,
});

/** Primary course: the job marked failed with the error its execution caught, unless it finished first. */
export async function failSimulation(
  deps: { clock: Clock; jobs: JobStore },
  jobId: string,
  error: { name: string; cause: string },
): Promise<{ recorded: boolean }> {
  const recorded = await deps.jobs.fail(
    jobId,
    { name: error.name, message: messageOf(error.cause) },
    deps.clock.now().toISOString(),
  );
  return { recorded };
}

/**
 * A Lambda task's Cause is its error as JSON (errorType, errorMessage, trace): the job keeps the
 * message alone, since whoever reads the job never sees a stack trace.
 */
function messageOf(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 500);
  } catch {
    // Not JSON: a cause Step Functions wrote itself, such as a timeout's.
  }
  return cause.slice(0, 500);
}
