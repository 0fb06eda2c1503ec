import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointStore,
  type ExecutionRecord,
  executionKey,
} from '../functions/local/stepfunctions/checkpoints';
import { closeTickets, Flow } from './lifecycle';
import type { WithLocalSystem } from './local-system';
import { percentile } from './measure';
import type { Progress } from './progress';
import type { RunStamp } from './report';

/**
 * Real tickets closed to get genuine archived executions, copies of them written to the archive, and how many
 * times each data folder is started (alternately, so drift in the machine's load hits both alike).
 */
export const RESTART = { realTickets: 4, archived: 10_000, rounds: 5 };
/** Issue 10: a restart with 10,000 archived executions starts within 1.5x the time of an empty one. */
export const RESTART_TARGET_RATIO = 1.5;

export interface RestartResult extends RunStamp {
  realTickets: number;
  archived: number;
  rounds: number;
  /** Milliseconds from spawning the server to its READY line, in the order measured. */
  noExecutionsMs: number[];
  archivedMs: number[];
  noExecutionsMedian: number;
  archivedMedian: number;
  /** The archived folder's median over the other's. */
  ratio: number;
  pass: boolean;
  /** A synthesized execution that DescribeExecution answered as SUCCEEDED at every start with the archive. */
  synthesizedArn: string;
}

/**
 * Times the start of the local system on two data folders that it has started on before (so both are seeded
 * alike and neither pays for seeding): one with no executions, and one with `RESTART.archived` archived
 * executions, synthesized from a few real ones.
 */
export async function measureRestart(
  withLocalSystem: WithLocalSystem,
  stamp: RunStamp,
  progress: Progress,
): Promise<RestartResult> {
  const { realTickets, archived, rounds } = RESTART;
  const root = mkdtempSync(join(tmpdir(), 'tollgate-bench-restart-'));
  try {
    const noExecutionsDir = join(root, 'no-executions');
    const archivedDir = join(root, 'archived');
    mkdirSync(noExecutionsDir);
    mkdirSync(archivedDir);
    await withLocalSystem(async () => {}, { dataDir: noExecutionsDir });
    await withLocalSystem(
      async ({ url }) => {
        const flow = await Flow.open(url, realTickets);
        try {
          await closeTickets(flow, realTickets, realTickets, () => {});
        } finally {
          flow.close();
        }
      },
      { dataDir: archivedDir },
    );
    const synthesizedArn = await synthesizeArchive(join(archivedDir, 'stepfunctions'), archived, progress);

    const startups = { noExecutions: [] as number[], archived: [] as number[] };
    const start = async (folder: keyof typeof startups) => {
      const startupMs = await withLocalSystem(
        async (system) => {
          if (folder === 'archived') await expectSucceeded(system.url, synthesizedArn);
          return system.startupMs;
        },
        { dataDir: folder === 'archived' ? archivedDir : noExecutionsDir },
      );
      startups[folder].push(Math.round(startupMs));
    };
    for (let round = 1; round <= rounds; round++) {
      progress.update('restart', round - 1, rounds, 'rounds of two starts');
      // Each folder goes first in every other round, so neither always starts right after the other.
      const order =
        round % 2 === 1 ? (['noExecutions', 'archived'] as const) : (['archived', 'noExecutions'] as const);
      for (const folder of order) await start(folder);
    }
    progress.finish(`restart: ${rounds} starts with no executions, ${rounds} with ${archived} archived`);

    const noExecutionsMedian = median(startups.noExecutions);
    const archivedMedian = median(startups.archived);
    const ratio = Math.round((archivedMedian / noExecutionsMedian) * 100) / 100;
    return {
      ...stamp,
      realTickets,
      archived,
      rounds,
      noExecutionsMs: startups.noExecutions,
      archivedMs: startups.archived,
      noExecutionsMedian,
      archivedMedian,
      ratio,
      pass: ratio <= RESTART_TARGET_RATIO,
      synthesizedArn,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Writes `count` archived executions into the Step Functions folder `dir`, each a copy of one of the real ones
 * archived there under a new name (so a new ARN, and a new file named by its executionKey), through
 * CheckpointStore.archive: files and index lines as the service itself writes them. Answers the last one's ARN.
 */
async function synthesizeArchive(dir: string, count: number, progress: Progress): Promise<string> {
  const { store } = await CheckpointStore.open(dir);
  const real: ExecutionRecord[] = [];
  for (const { executionArn } of await store.archivedSummaries()) {
    const record = await store.archived(executionKey(executionArn));
    if (!record) throw new Error(`The archive's index lists ${executionArn}, which has no file`);
    real.push(record);
  }
  if (real.length === 0) throw new Error('No archived execution to copy');
  let executionArn = '';
  for (let n = 0; n < count; n++) {
    const template = real[n % real.length] as ExecutionRecord;
    if (!template.executionArn.endsWith(`:${template.name}`)) {
      throw new Error(`${template.executionArn} does not end with its name, ${template.name}`);
    }
    const name = `${template.name}-synthetic-${n}`;
    executionArn = `${template.executionArn.slice(0, -template.name.length)}${name}`;
    await store.archive({ ...template, name, executionArn });
    progress.update('restart', n + 1, count, 'archived executions synthesized');
  }
  progress.finish(`restart: ${count} archived executions synthesized from ${real.length} real ones`);
  return executionArn;
}

/** DescribeExecution of a synthesized execution: it answers only if the running service reads its file. */
async function expectSucceeded(url: string, executionArn: string): Promise<void> {
  const flow = await Flow.open(url, 1);
  try {
    const { status } = await flow.execution(executionArn);
    if (status !== 'SUCCEEDED') throw new Error(`DescribeExecution of ${executionArn} answered ${status}`);
  } finally {
    flow.close();
  }
}

/** The middle value: RESTART.rounds is odd. */
function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
