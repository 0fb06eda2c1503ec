import { describe, expect, it } from 'vitest';
import type {
  HistoryEntry,
  JobStore,
  PolicyEvaluator,
  PolicyStore,
  PolicyVersion,
  SnapshotStore,
  TicketHistory,
} from '../../../functions/app/ports';
import {
  type SimulationJob,
  type SimulationStepDeps,
  simulatePage,
  startSimulation,
} from '../../../functions/app/simulations';
import { person } from '../domain/fixtures';
import { unopenedWait } from '../domain/tickets';
import { jobStore } from './job-store';

const NOW = new Date('2026-06-30T12:00:00.000Z');
const admin = person('ivan@x.com', { roles: ['admin'] });
const candidate = { 'manager-approval': 'permit (principal, action, resource);' };

/** An evaluator that asks for the manager on every request. */
const managerOnly: PolicyEvaluator = {
  version: 'v-candidate',
  policies: candidate,
  answers: () => (action) =>
    action === 'requireManager'
      ? { allowed: true, policies: [{ id: 'manager-approval', reason: null, maxDuration: null }] }
      : { allowed: false, policies: [] },
};

const startDeps = (overrides: { start?: () => Promise<void> } = {}) => {
  const versions: PolicyVersion[] = [];
  const jobs = jobStore();
  return {
    versions,
    jobs,
    deps: {
      clock: { now: () => NOW },
      ids: { ticketId: () => 'T', jobId: () => '01JOB' },
      policies: { compile: () => managerOnly },
      policyStore: { store: async (version: PolicyVersion) => void versions.push(version) } as PolicyStore,
      jobs,
      simulations: { start: overrides.start ?? (async () => undefined) },
    },
  };
};

describe('starting a simulation', () => {
  it('looks back 90 days from now when no period is given, and stores the candidate without publishing it', async () => {
    // Prepare
    const { deps, jobs, versions } = startDeps();
    // Act
    const { id } = await startSimulation(deps, admin, { policies: candidate });
    // Assess
    expect(jobs.jobs.get(id)).toMatchObject({
      status: 'queued',
      params: { candidate: 'v-candidate', from: '2026-04-01T12:00:00.000Z', to: NOW.toISOString() },
    });
    expect(versions).toEqual([
      { version: 'v-candidate', policies: candidate, createdAt: NOW.toISOString(), createdBy: admin.id },
    ]);
  });

  it('never reads past now, even when asked to, so the tickets of the period are fixed when it starts', async () => {
    // Prepare
    const { deps, jobs } = startDeps();
    // Act
    const { id } = await startSimulation(deps, admin, {
      policies: candidate,
      from: '2026-06-01T00:00:00Z',
      to: '2027-01-01T00:00:00Z',
    });
    // Assess
    expect(jobs.jobs.get(id)?.params).toMatchObject({
      from: '2026-06-01T00:00:00.000Z',
      to: NOW.toISOString(),
    });
  });

  it('marks the job failed when its execution cannot start, and lets the error through', async () => {
    // Prepare
    const { deps, jobs } = startDeps({
      start: async () => {
        throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      },
    });
    // Act
    const starting = startSimulation(deps, admin, { policies: candidate });
    // Assess
    await expect(starting).rejects.toThrow('throttled');
    expect(jobs.jobs.get('01JOB')).toMatchObject({
      status: 'failed',
      error: { name: 'ThrottlingException', message: 'The simulation could not start' },
    });
  });
});

describe('a simulation step', () => {
  const queuedJob = (): SimulationJob => ({
    id: 'J',
    kind: 'policy_simulation',
    status: 'queued',
    createdBy: admin.id,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    params: { candidate: 'v-candidate', from: '2026-04-01T00:00:00.000Z', to: NOW.toISOString() },
    progress: { done: 0, total: null },
    steps: 0,
    cursor: null,
    result: null,
    error: null,
  });
  /** One page holding one ticket that asked its manager, who approved. */
  const entry: HistoryEntry = {
    id: 'T1',
    listedAs: 'fulfilling',
    ticket: {
      id: 'T1',
      type: 'access',
      status: 'fulfilling',
      decision: {
        outcome: 'approval_required',
        stages: ['manager'],
        policyIds: ['manager-approval'],
        version: 'v-live',
        reason: null,
        askedBy: {},
        policyReasons: {},
        cap: null,
        inputs: 'h1',
      },
      approvals: [
        {
          stage: 'manager',
          candidates: [],
          decidedBy: 'erin@x.com',
          decision: 'approve',
          at: null,
          comment: null,
          via: 'inbox',
          deadline: null,
          ...unopenedWait,
          path: [],
        },
      ],
      duration: null,
      createdAt: '2026-05-01T00:00:00.000Z',
    },
  };
  const stepDeps = (jobs: JobStore): SimulationStepDeps => ({
    clock: { now: () => NOW },
    policies: { compile: () => managerOnly },
    policyStore: {
      get: async () => ({ version: 'v-candidate', policies: candidate, createdAt: null, createdBy: null }),
    } as unknown as PolicyStore,
    snapshots: {
      getMany: async () => new Map([['h1', { hash: 'h1', inputs: {} as never, version: 'v-live', at: '' }]]),
    } as unknown as SnapshotStore,
    jobs,
    history: {
      count: async () => 1,
      page: async () => ({ entries: [entry], next: null }),
    } as Pick<TicketHistory, 'count' | 'page'>,
    faults: { faultPoint: () => undefined },
    settings: { simulationPageSize: 100 },
  });

  it('adds its page to the tally and finishes the job when no page is left', async () => {
    // Prepare
    const jobs = jobStore();
    await jobs.create(queuedJob());
    // Act
    const step = await simulatePage(stepDeps(jobs), 'J');
    // Assess
    expect(step).toEqual({ done: true, cursor: null, progress: { done: 1, total: 1 } });
    expect(jobs.jobs.get('J')).toMatchObject({
      status: 'done',
      steps: 1,
      result: { examined: 1, replayed: 1, changed: 0, movedWhileRunning: 0 },
    });
  });

  it('writes nothing, and answers where the job stands, when another run of the step wrote first', async () => {
    // Prepare
    const jobs = jobStore({ loseNextAdvance: true });
    await jobs.create(queuedJob());
    // Act
    const step = await simulatePage(stepDeps(jobs), 'J');
    // Assess: the job as the other run left it, and no tally from this one
    expect(step).toEqual({
      done: false,
      cursor: { partition: 9, after: null },
      progress: { done: 0, total: null },
    });
    expect(jobs.jobs.get('J')?.result).toBeNull();
  });

  it('asks the candidate every question policy answers at intake', async () => {
    // Prepare
    const jobs = jobStore();
    await jobs.create(queuedJob());
    const asked: string[] = [];
    const deps = stepDeps(jobs);
    const spying: PolicyEvaluator = {
      ...managerOnly,
      answers: (inputs) => (action) => {
        asked.push(action);
        return managerOnly.answers(inputs)(action);
      },
    };
    // Act
    await simulatePage({ ...deps, policies: { compile: () => spying } }, 'J');
    // Assess
    expect(asked).toEqual([
      'autoReject',
      'autoApprove',
      'requireManager',
      'requireSystemOwner',
      'requireSecurity',
    ]);
  });
});
