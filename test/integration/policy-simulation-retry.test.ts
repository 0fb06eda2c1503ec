import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulationTally } from '../../functions/domain/policy/simulation';
import { historyOf } from '../support/history';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { eventually } from '../support/workflow-client';

interface Simulation {
  status: string;
  progress: { done: number; total: number | null };
  result: SimulationTally | null;
}

describe('a simulation step retried after its page was written', () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    // Two tickets a step; the first step fails once right after its write, and Step Functions retries it.
    tollgate = await startTestRuntime({
      SIMULATION_PAGE_SIZE: '2',
      TOLLGATE_FAULTS: 'fail:simulation-page-written*1',
    });
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  it('counts that page once', async () => {
    // Prepare: five tickets that policy approved at once
    const from = new Date(Date.now() - 1000).toISOString();
    const history = historyOf(tollgate);
    for (let filed = 0; filed < 5; filed++) {
      await history.file(people.ivan, { system: 'wiki', entitlement: 'wiki-read' });
    }
    const admin = await tollgate.as(people.ivan);
    const baseline = await admin.get<{ policies: Record<string, string> }>('/policies');

    // Act
    const started = await admin.post<{ id: string }>('/policies/simulations', {
      policies: baseline.body.policies,
      from,
    });
    const simulation = await eventually(async () => {
      const job = await admin.get<Simulation>(`/policies/simulations/${started.body.id}`);
      return job.body.status === 'done' || job.body.status === 'failed' ? job.body : undefined;
    });

    // Assess
    expect(simulation.status).toBe('done');
    expect(simulation.progress).toEqual({ done: 5, total: 5 });
    expect(simulation.result).toMatchObject({ examined: 5, replayed: 5, changed: 0 });
    expect(simulation.result?.outcomes).toEqual([
      expect.objectContaining({ happened: 'auto_approved', candidate: 'auto_approved', count: 5 }),
    ]);
    expect(await failedTasks(tollgate, started.body.id)).toEqual(['TransientError']);
  });
});

/** The errors the execution's tasks failed with, retried ones included. */
async function failedTasks(tollgate: TestRuntime, jobId: string): Promise<string[]> {
  const sfn = localSfnClient(tollgate.runtime.endpoints.stepfunctions);
  try {
    const { events } = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: `arn:aws:states:us-east-1:000000000000:execution:policy-simulation:${jobId}`,
        maxResults: 1000,
      }),
    );
    return (events ?? []).flatMap((event) =>
      event.type === 'TaskFailed' ? [event.taskFailedEventDetails?.error ?? ''] : [],
    );
  } finally {
    sfn.destroy();
  }
}
