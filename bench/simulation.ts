import { performance } from 'node:perf_hooks';
import { compilePolicyFolder } from '../functions/adapters/cedar/policy-files';
import { describeChanges, type SimulationTally } from '../functions/domain/policy/simulation';
import type { LocalMetrics } from '../functions/local/dev-routes';
import { PRICES } from './cost';
import { devToken, expectOk, JsonClient, unexpected } from './http-client';
import { followJob, type JobView } from './jobs';
import type { WithLocalSystem } from './local-system';
import { round } from './measure';
import type { Progress } from './progress';
import { type RecordedHistory, recordHistory } from './recorded-history';
import type { RunStamp } from './report';

/** The demo admin, one of the oversight roles that may simulate. */
const SIMULATING_AS = 'ivan.it@example.com';
/** How often the bench asks how the simulation stands: the figure is at most this late. */
export const SIMULATION_POLL_MS = 100;
/** A simulation that runs this long is stuck, not slow: the bench stops and says so. */
const SIMULATION_TIMEOUT_MS = 10 * 60_000;

/**
 * The candidate set: the live baseline plus a rule that auto-approves reading payroll totals for three days at
 * most, so the tickets people decided for payroll-read change outcome, and those granted longer meet its cap.
 */
const ADDED_POLICIES = {
  'payroll-read-auto': `@id("payroll-read-auto")
@reason("payroll totals are read-only")
@maxDuration("P3D")
permit (principal, action == Tollgate::Action::"autoApprove", resource == Tollgate::Entitlement::"payroll-read");`,
};

export interface SimulationResult extends RunStamp {
  history: RecordedHistory;
  /** The policies added to the baseline to make the candidate. */
  added: string[];
  /** Seconds from the 202 to the first answer that said done. */
  seconds: number;
  /** Tickets examined per second of that. */
  ticketsPerSecond: number;
  /** SimulatePage invocations (retries included), and every state the execution entered. */
  pages: number;
  stateTransitions: number;
  /** Those transitions at Step Functions' list price. */
  transitionsUsd: number;
  /** The result's headline counts. */
  examined: number;
  replayed: number;
  changed: number;
  notReplayable: number;
  movedWhileRunning: number | null;
  /** The changes in sentences, as `npm run policy:simulate` prints them. */
  changes: string[];
}

interface Simulation extends JobView {
  result: SimulationTally | null;
}

/**
 * Issue 11's simulation throughput: on a fresh local system, a recorded history of access tickets
 * (recorded-history.ts), then one simulation started through the API (`POST /policies/simulations`) and
 * followed until done, as `npm run policy:simulate` does. Its time runs from the 202 to the answer that
 * says done; its state transitions, which Step Functions bills, are read from `GET /dev/metrics`.
 */
export async function measureSimulation(
  withLocalSystem: WithLocalSystem,
  policiesFolder: string,
  stamp: RunStamp,
  progress: Progress,
): Promise<SimulationResult> {
  const { compiled: baseline } = compilePolicyFolder(policiesFolder);
  return withLocalSystem(async ({ url, dynamodbUrl }) => {
    const history = await recordHistory(dynamodbUrl, baseline, progress);
    const api = new JsonClient(url, 1);
    try {
      const auth = { authorization: `Bearer ${await devToken(api, SIMULATING_AS)}` };
      const live = (await expectOk(api.get('/policies', auth), 'GET /policies')) as {
        version: string;
        policies: Record<string, string>;
      };
      if (live.version !== history.version) {
        throw new Error(
          `The local system's live policies are ${live.version}, not the baseline that decided the history (${history.version})`,
        );
      }
      const metrics = async () =>
        (await expectOk(api.get('/dev/metrics'), 'GET /dev/metrics')) as LocalMetrics;

      const before = await metrics();
      const started = await api.post(
        '/policies/simulations',
        { policies: { ...live.policies, ...ADDED_POLICIES } },
        auth,
      );
      if (started.status !== 202) throw unexpected('POST /policies/simulations', started);
      const startedAt = performance.now();
      const simulation = await followJob<Simulation>(
        api,
        auth,
        `/policies/simulations/${(started.body as { id: string }).id}`,
        {
          part: 'simulation',
          phase: 'tickets replayed',
          total: history.tickets,
          pollMs: SIMULATION_POLL_MS,
          timeoutMs: SIMULATION_TIMEOUT_MS,
          progress,
        },
      );
      const seconds = (performance.now() - startedAt) / 1000;
      const after = await metrics();

      if (simulation.status === 'failed' || !simulation.result) {
        throw new Error(
          `Simulation ${simulation.id} failed: ${simulation.error?.name}: ${simulation.error?.message}`,
        );
      }
      // The reconcile schedule first runs 5 minutes after start: it closes the recorded tickets still waiting
      // (they have no execution), changing the history under the simulation.
      if (after.lambda.scheduled !== 0) {
        throw new Error(
          'The reconcile schedule ran before the simulation ended: this part must end within 5 minutes of start',
        );
      }
      const result = simulation.result;
      if (result.examined !== history.tickets) {
        throw new Error(
          `The simulation examined ${result.examined} of the ${history.tickets} recorded tickets`,
        );
      }
      const stateTransitions = after.stepfunctions.stateTransitions - before.stepfunctions.stateTransitions;
      progress.finish(`simulation: ${result.examined} tickets replayed`);
      return {
        ...stamp,
        history,
        added: Object.keys(ADDED_POLICIES),
        seconds: round(seconds),
        ticketsPerSecond: round(result.examined / seconds),
        pages: after.lambda.workflow - before.lambda.workflow,
        stateTransitions,
        transitionsUsd: stateTransitions * PRICES.stateTransition.usd,
        examined: result.examined,
        replayed: result.replayed,
        changed: result.changed,
        notReplayable: result.notReplayable.reduce((sum, row) => sum + row.count, 0),
        movedWhileRunning: result.movedWhileRunning,
        changes: describeChanges(result),
      };
    } finally {
      api.close();
    }
  });
}
