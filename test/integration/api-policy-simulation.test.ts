import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulationView } from '../../functions/app/simulations';
import type { SimulationTally } from '../../functions/domain/policy/simulation';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import { fileSimulationHistory } from '../support/history';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { withLocalTable } from '../support/table';
import { eventually } from '../support/workflow-client';

type Simulation = SimulationView;

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

interface PolicySet {
  version: string;
  policies: Record<string, string>;
  live: boolean;
}

/** Auto-approves payroll totals, for three days at most. */
const autoApprovePayrollRead = `@id("payroll-read-auto")
@reason("payroll totals are read-only")
@maxDuration("P3D")
permit (principal, action == Tollgate::Action::"autoApprove", resource == Tollgate::Entitlement::"payroll-read");`;

/** Write access asks the system owner instead of the manager. */
const managerUnlessWrite = `@id("manager-approval")
@reason("every access request but write access needs the manager")
permit (principal, action == Tollgate::Action::"requireManager", resource)
when { resource.class != "write" };`;
const writeSystemOwner = `@id("write-system-owner")
@reason("write access needs the system owner")
permit (principal, action == Tollgate::Action::"requireSystemOwner", resource)
when { resource.class == "write" };`;

describe('policy simulation, through the local server', () => {
  let tollgate: TestRuntime;
  let history: Awaited<ReturnType<typeof fileSimulationHistory>>;
  let baseline: PolicySet;
  let from: string;

  beforeAll(async () => {
    // Four tickets a step, so a simulation of the history takes several steps.
    tollgate = await startTestRuntime({ SIMULATION_PAGE_SIZE: '4' });
    from = new Date(Date.now() - 1000).toISOString();
    history = await fileSimulationHistory(tollgate);
    baseline = (await (await tollgate.as(people.ivan)).get<PolicySet>('/policies')).body;
  }, 120_000);

  afterAll(async () => {
    await tollgate?.close();
  });

  const simulate = async (as: string, policies: Record<string, string>) => {
    const client = await tollgate.as(as);
    const started = await client.post<{ id: string }>('/policies/simulations', { policies, from });
    expect(started.status, started.text).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const job = await client.get<Simulation>(`/policies/simulations/${started.body.id}`);
      expect(job.status, job.text).toBe(200);
      if (job.body.status === 'done' || job.body.status === 'failed') return job.body;
      if (Date.now() > deadline) throw new Error(`The simulation did not finish: ${job.text}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const row = (result: SimulationTally | null, happened: string, candidate: string) =>
    result?.outcomes.find((each) => each.happened === happened && each.candidate === candidate);

  describe('a candidate that auto-approves payroll-read for three days at most', () => {
    let simulation: Simulation;
    beforeAll(async () => {
      simulation = await simulate(people.ivan, {
        ...baseline.policies,
        'payroll-read-auto': autoApprovePayrollRead,
      });
    }, 30_000);

    it('finishes, having read every ticket of the period', () => {
      // Assess
      expect(simulation.status).toBe('done');
      expect(simulation.progress).toEqual({ done: history.count, total: history.count });
      expect(simulation.result).toMatchObject({
        examined: 12,
        replayed: 11,
        changed: 6,
        movedWhileRunning: 0,
      });
    });

    it('would auto-approve the payroll-read tickets people approved, denied, or have yet to decide', () => {
      // Assess
      const { result } = simulation;
      expect(row(result, 'approved', 'auto_approved')).toMatchObject({
        recorded: 'approval_required',
        changed: true,
        count: 3,
      });
      expect(row(result, 'approved', 'auto_approved')?.examples.sort()).toEqual(
        [...history.approvedPayroll].sort(),
      );
      expect(row(result, 'denied', 'auto_approved')).toMatchObject({ count: 2 });
      expect(row(result, 'denied', 'auto_approved')?.examples.sort()).toEqual(
        [...history.deniedPayroll].sort(),
      );
      expect(row(result, 'pending', 'auto_approved')).toMatchObject({
        count: 1,
        examples: history.pendingPayroll,
      });
    });

    it('leaves the other outcomes as they were', () => {
      // Assess
      const { result } = simulation;
      expect(row(result, 'auto_approved', 'auto_approved')).toMatchObject({ changed: false, count: 2 });
      expect(row(result, 'auto_rejected', 'auto_rejected')).toMatchObject({
        changed: false,
        count: 1,
        examples: history.autoRejected,
      });
      expect(row(result, 'approved', 'approval_required')).toMatchObject({ changed: false, count: 2 });
      expect(result?.outcomes.reduce((sum, each) => sum + each.count, 0)).toBe(11);
    });

    it('drops the manager stage from every payroll-read ticket that asked for it', () => {
      // Assess
      expect(simulation.result?.stages).toEqual([
        { stage: 'manager', change: 'removed', count: 6, examples: expect.any(Array) },
      ]);
    });

    it('finds the approved tickets granted longer than the candidate cap', () => {
      // Assess: the two P7D grants; P1D is within three days
      expect(simulation.result?.caps).toEqual([
        {
          policyId: 'payroll-read-auto',
          max: 'P3D',
          count: 2,
          examples: expect.arrayContaining(history.approvedPayroll.slice(0, 2)),
        },
      ]);
    });

    it('counts the ticket decided before policies kept inputs as not replayable', () => {
      // Assess
      expect(simulation.result?.notReplayable).toEqual([
        { reason: 'no_snapshot', count: 1, examples: [history.withoutInputs] },
      ]);
    });

    it('stores the candidate under its version without making it live', async () => {
      // Act
      const admin = await tollgate.as(people.ivan);
      const candidate = await admin.get<PolicySet>(`/policies/${simulation.candidate}`);
      const live = await admin.get<PolicySet>('/policies');
      // Assess
      expect(candidate.status).toBe(200);
      expect(candidate.body).toMatchObject({ live: false });
      expect(candidate.body.policies).toHaveProperty('payroll-read-auto');
      expect(live.body.version).toBe(baseline.version);
    });

    it('runs as an execution of the policy-simulation state machine, a page per step', async () => {
      // Prepare
      const sfn = localSfnClient(tollgate.runtime.endpoints.stepfunctions);
      // Act: the job is done at its last step; the execution ends a state or two later
      const events = await eventually(async () => {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: `arn:aws:states:us-east-1:000000000000:execution:policy-simulation:${simulation.id}`,
            maxResults: 1000,
          }),
        );
        return page.events?.at(-1)?.type === 'ExecutionSucceeded' ? page.events : undefined;
      });
      sfn.destroy();
      // Assess: 13 tickets, four a step
      const pages = events.filter(
        (event) =>
          event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'SimulatePage',
      );
      expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(history.count / 4));
    });
  });

  describe('a candidate that asks the system owner instead of the manager for write access', () => {
    it('changes no outcome, and moves the approved github-write tickets from the manager to the system owner', async () => {
      // Act: as an auditor, who may simulate too
      const simulation = await simulate(people.aude, {
        ...baseline.policies,
        'manager-approval': managerUnlessWrite,
        'write-system-owner': writeSystemOwner,
      });
      // Assess
      expect(simulation.status).toBe('done');
      expect(simulation.result).toMatchObject({ examined: 12, replayed: 11, changed: 0 });
      expect(simulation.result?.stages).toEqual([
        { stage: 'system_owner', change: 'added', count: 2, examples: expect.any(Array) },
        { stage: 'manager', change: 'removed', count: 2, examples: expect.any(Array) },
      ]);
      expect(simulation.result?.stages[0]?.examples.sort()).toEqual([...history.approvedGithub].sort());
    });
  });

  describe('what is refused', () => {
    it('refuses anyone without an oversight role, to start a simulation or to read one', async () => {
      // Prepare
      const started = await (await tollgate.as(people.sam)).post<{ id: string }>('/policies/simulations', {
        policies: baseline.policies,
        from,
      });
      const requester = await tollgate.as(people.alex);
      // Act
      const starting = await requester.post<ErrorBody>('/policies/simulations', {
        policies: baseline.policies,
      });
      const reading = await requester.get<ErrorBody>(`/policies/simulations/${started.body.id}`);
      // Assess
      expect(started.status).toBe(202);
      expect([starting.status, reading.status]).toEqual([403, 403]);
    });

    it('answers 404 for a simulation that does not exist', async () => {
      // Act
      const response = await (await tollgate.as(people.aude)).get<ErrorBody>(
        '/policies/simulations/01JZZZZZZZZZZZZZZZZZZZZZZZ',
      );
      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });

    it('refuses a body it cannot read, naming each field', async () => {
      // Act
      const response = await (await tollgate.as(people.ivan)).post<ErrorBody>('/policies/simulations', {
        policies: {},
        from: 'last Tuesday',
        until: '2026-01-01T00:00:00Z',
      });
      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error.fields).toEqual({
        policies: 'must hold at least one policy',
        from: expect.stringContaining('ISO 8601 date-time'),
        until: 'is not a known field',
      });
    });

    it('refuses a period that ends before it starts', async () => {
      // Act
      const response = await (await tollgate.as(people.ivan)).post<ErrorBody>('/policies/simulations', {
        policies: baseline.policies,
        from: '2026-02-01T00:00:00Z',
        to: '2026-01-01T00:00:00Z',
      });
      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error.fields?.from).toBe('must be before to (2026-01-01T00:00:00.000Z)');
    });

    it('refuses an invalid candidate set with the policy, the line and Cedar’s message, as PUT /policies does', async () => {
      // Act
      const response = await (await tollgate.as(people.ivan)).post<ErrorBody>('/policies/simulations', {
        policies: {
          ...baseline.policies,
          'typo-in-attribute': `@id("typo-in-attribute")\npermit (principal, action == Tollgate::Action::"autoApprove", resource)\nwhen { resource.klass == "read" };`,
        },
      });
      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error.fields?.['policies.typo-in-attribute']).toMatch(/^line 3: .*klass/);
    });
  });

  describe('a step that fails for good', () => {
    it('marks the job failed with the error, and no stack trace', async () => {
      // Prepare: a job whose candidate set is not stored, started as the POST handler would
      const id = '01JFA1LED0000000000000000A';
      await putItem(tollgate, {
        pk: `JOB#${id}`,
        sk: 'JOB',
        id,
        kind: 'policy_simulation',
        status: 'queued',
        createdBy: people.ivan,
        createdAt: from,
        updatedAt: from,
        params: { candidate: 'f'.repeat(64), from, to: new Date().toISOString() },
        progress: { done: 0, total: null },
        steps: 0,
        cursor: null,
        result: null,
        error: null,
      });
      const sfn = localSfnClient(tollgate.runtime.endpoints.stepfunctions);
      // Act
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:policy-simulation',
          name: id,
          input: JSON.stringify({ jobId: id }),
        }),
      );
      sfn.destroy();
      const job = await eventually(async () => {
        const response = await (await tollgate.as(people.aude)).get<Simulation>(
          `/policies/simulations/${id}`,
        );
        return response.body.status === 'failed' ? response.body : undefined;
      });
      // Assess
      expect(job.error).toEqual({
        name: 'NotFoundError',
        message: `The candidate policy set ${'f'.repeat(64)} is not stored`,
      });
      expect(job.result).toBeNull();
    });
  });
});

async function putItem(tollgate: TestRuntime, item: Record<string, unknown>) {
  await withLocalTable(tollgate.runtime.endpoints.dynamodb, (db) =>
    db.send(new PutCommand({ TableName: LOCAL_TABLE_NAME, Item: item })),
  );
}
