import { z } from 'zod';
import type { Identity } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import { decideOutcome, type PolicyOutcome } from '../domain/policy/outcome';
import { type Policies, policySetSchema } from '../domain/policy/policy-set';
import {
  addToTally,
  compare,
  emptyTally,
  finishTally,
  type SimulationTally,
  type TallyEntry,
} from '../domain/policy/simulation';
import { parseOrThrow } from '../domain/validation';
import {
  applyStep,
  type JobStep,
  jobDateTime,
  jobViewOf,
  newJob,
  periodOf,
  readJob,
  startJob,
  stepOf,
} from './jobs';
import type {
  Clock,
  Faults,
  HistoryCursor,
  HistoryEntry,
  Ids,
  Job,
  JobRunner,
  JobStore,
  Period,
  PolicyEngine,
  PolicyEvaluator,
  PolicySnapshot,
  PolicyStore,
  SnapshotStore,
  TicketHistory,
} from './ports';
import { assertAnyRole, OVERSIGHT } from './roles';

/** A simulation looks this far back unless told otherwise. */
export const DEFAULT_SIMULATION_DAYS = 90;
const dateTime = jobDateTime.optional();

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

const assertOversight = (caller: Identity) => assertAnyRole(caller, OVERSIGHT, 'simulate policies');

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
  const period = periodOf(request, deps.clock.now(), DEFAULT_SIMULATION_DAYS);
  return simulateCandidate(deps, caller, request.policies, period);
}

/**
 * Stores a candidate set (not live) once Cedar has parsed and validated it, and starts its
 * simulation over the period: for a caller's request, or for a rule candidate of the analytics.
 */
export async function simulateCandidate(
  deps: StartSimulationDeps,
  by: Pick<Identity, 'id'>,
  policies: Policies,
  period: Period,
): Promise<{ id: string }> {
  const candidate = deps.policies.compile(policies);
  const at = deps.clock.now().toISOString();
  await deps.policyStore.store({ version: candidate.version, policies, createdAt: at, createdBy: by.id });
  const params: SimulationParams = {
    candidate: candidate.version,
    from: period.from.toISOString(),
    to: period.to.toISOString(),
  };
  return startJob(
    deps,
    deps.simulations,
    newJob(deps.ids.jobId(), 'policy_simulation', by, at, params),
    'simulation',
  );
}

/** Primary course: the job as it stands, its result once done (oversight roles only). */
export async function readSimulation(
  deps: { jobs: JobStore },
  caller: Identity,
  id: string,
): Promise<SimulationView> {
  assertOversight(caller);
  const job = await readSimulationJob(deps.jobs, id);
  return {
    ...jobViewOf(job),
    result: job.status === 'done' ? job.result : null,
    candidate: job.params.candidate,
    from: job.params.from,
    to: job.params.to,
  };
}

export interface SimulationStepDeps {
  clock: Clock;
  policies: Pick<PolicyEngine, 'compile'>;
  policyStore: PolicyStore;
  snapshots: SnapshotStore;
  jobs: JobStore;
  history: Pick<TicketHistory, 'count' | 'page'>;
  faults: Faults;
  settings: { simulationPageSize: number };
}

export type SimulationStep = JobStep<HistoryCursor>;

/**
 * Primary course: one page of the period's tickets, replayed against the candidate, added to the
 * job's tally with the cursor of the next page in one conditional write. A step that finds the
 * job moved on (a retry of a step that had landed, or two runs of one step) answers where the job
 * stands and writes nothing, so every page counts once. The first step counts the period's tickets.
 */
export async function simulatePage(deps: SimulationStepDeps, jobId: string): Promise<SimulationStep> {
  const job = await readSimulationJob(deps.jobs, jobId);
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
  return applyStep(deps, job, step, 'simulation-page-written');
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
      candidate.answers(snapshot.inputs),
      new Date(ticket.createdAt),
    );
  } catch (error) {
    // Inputs recorded under an older schema that the candidate's cannot read: that ticket only.
    if ((error as Error).name !== 'PolicyEvaluationError') throw error;
    return { kind: 'not_replayable', ticketId: ticket.id, reason: 'evaluation_failed' };
  }
  return { kind: 'replayed', comparison: compare(ticket, outcome) };
}

const readSimulationJob = (jobs: JobStore, id: string) =>
  readJob<SimulationJob>(jobs, id, 'policy_simulation', 'simulation');
