import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { compilePolicyFolder } from '../functions/adapters/cedar/policy-files';
import type { LocalMetrics } from '../functions/local/dev-routes';
import { type AnalyticsStoreRun, measureAnalyticsStore } from './analytics-store';
import type { AuditHistory } from './audit-history';
import { type ConsolePageRun, measureConsolePages } from './console-pages';
import { devToken, expectOk, JsonClient, unexpected } from './http-client';
import { followJob, type JobView } from './jobs';
import type { LaunchOptions, Ready, WithLocalSystem } from './local-system';
import { round } from './measure';
import { type MemoryPeak, residentSet, watchMemory } from './process-memory';
import type { Progress } from './progress';
import { HISTORY, scriptHistory } from './recorded-history';
import type { RunStamp } from './report';

/**
 * Issue 14: export and verify over 10,000 and 100,000 tickets. BENCH_AUDIT_TICKETS (comma-separated) sizes a
 * smaller run; the ratios compare the largest size with the smallest.
 */
export const AUDIT = {
  sizes: (process.env.BENCH_AUDIT_TICKETS ?? '10000,100000').split(',').map(Number),
  /** How often the bench reads the server's heap during the export, and asks how the export stands. */
  sampleMs: 250,
  /**
   * How often the live-heap run (the export again, its server's node with `--expose-gc`) reads the heap after a
   * full GC: each such reading stops the process for a while, so modestly, and that run's seconds are no throughput.
   */
  liveHeapSampleMs: 1000,
  /**
   * "Flat as history grows": the largest size's live heap peak at most this many times the smallest's (chosen
   * before the first measurement; 10x the tickets, so anything kept per ticket would show far above it).
   */
  flatRatio: 1.2,
  /** How often the verify CLI's resident set is read while it runs (its peak is the kernel's, not a sample). */
  verifyPollMs: 100,
  /**
   * The control run of the verify CLI: V8's semi-spaces held to this many MiB (node's default lets them grow to 16
   * under a steady stream of short-lived objects, which a longer run keeps up for longer). Whatever stays is not
   * the young generation's headroom.
   */
  youngGenerationCap: 2,
  /** An export or verification that runs this long is stuck, not slow. */
  timeoutMs: 30 * 60_000,
};
/** The demo auditor: exports are for auditor and security only. */
const EXPORTING_AS = 'aude.audit@example.com';
/** The period exported: every seeded ticket was filed within it. */
const PERIOD_DAYS = HISTORY.days + 1;
const DAY_MS = 86_400_000;

export interface AuditSeed extends AuditHistory {
  /** Seconds to script the history once (shared by every size), not part of any figure. */
  scriptSeconds: number;
}

export interface AuditExportRun {
  tickets: number;
  /** Rows the job reported, and rows counted in the downloaded file (header left out). */
  rows: number;
  fileRows: number;
  bytes: number;
  /** From the 202 to the first answer that said done. */
  seconds: number;
  rowsPerSecond: number;
  ticketsPerSecond: number;
  /** ExportPage invocations (the workflow's Lambda calls, retries included) and every state entered. */
  steps: number;
  stateTransitions: number;
  memory: MemoryPeak;
  /**
   * The machine's 1-minute load average as the export began and as it was done (other work shares the two cores);
   * absent from results written before it was recorded.
   */
  load?: [number, number];
  /**
   * The same export again, on a start of its own on the same folder whose node runs with `--expose-gc`: V8's heap
   * in use after a full GC (what the process holds live) as it began and at its highest among the readings taken
   * every AUDIT.liveHeapSampleMs, and that run's seconds (slowed by those GCs). Absent from results written before
   * it was measured.
   */
  liveHeap?: { seconds: number; before: number; peak: number; samples: number; load: [number, number] };
}

export interface AuditVerifyRun {
  tickets: number;
  /** Chains checked, as the CLI counts them (tickets, grants, the admin log), and its line that counts them by status. */
  chains: number;
  chainsLine: string;
  /** The checkpoint made just before, through `POST /dev/schedules/audit-checkpoint/run`. */
  checkpointSeconds: number;
  /** From spawning the CLI to its exit. */
  seconds: number;
  chainsPerSecond: number;
  /** The CLI's peak resident set (the kernel's VmHWM, read until it exited). */
  peakRss: number;
  exitCode: number;
  /** Its last lines, where it reports what it found. */
  output: string[];
  /**
   * The same verification again with V8's young generation held small (AUDIT.youngGenerationCap); absent from
   * results written before it was measured.
   */
  youngGenerationCapped?: { seconds: number; peakRss: number; exitCode: number };
}

export interface AuditExportResult extends RunStamp {
  seeds: AuditSeed[];
  runs: AuditExportRun[];
}

export interface AuditVerifyResult extends RunStamp {
  seeds: AuditSeed[];
  runs: AuditVerifyRun[];
}

export interface AnalyticsStoreResult extends RunStamp {
  seeds: AuditSeed[];
  runs: AnalyticsStoreRun[];
}

export interface ConsolePagesResult extends RunStamp {
  seeds: AuditSeed[];
  runs: ConsolePageRun[];
}

/**
 * For each size, a data folder seeded with that many tickets (audit-history.ts), then a local system's first
 * start on it: one export (if `exports`), then the checkpoint and the verify CLI (if `verify`), then the analytics
 * rollups of the last days through its store (if `analyticsStore`), then the console's pages (if `consolePages`). The
 * history is scripted once and shared by the sizes.
 */
export async function measureAudit(
  withLocalSystem: WithLocalSystem,
  repoRoot: string,
  stamp: RunStamp,
  progress: Progress,
  parts: { exports: boolean; verify: boolean; analyticsStore: boolean; consolePages: boolean },
): Promise<{
  auditExport?: AuditExportResult;
  auditVerify?: AuditVerifyResult;
  analyticsStore?: AnalyticsStoreResult;
  consolePages?: ConsolePagesResult;
}> {
  const { compiled: baseline } = compilePolicyFolder(join(repoRoot, 'policies'));
  const history = await scriptHistory(baseline, HISTORY.tickets, progress, 'audit');
  progress.finish(`audit: ${history.tickets.length} tickets scripted in ${round(history.scriptSeconds)} s`);
  // For the seeding processes, which share the history.
  const historyFile = join(mkdtempSync(join(tmpdir(), 'tollgate-bench-history-')), 'history.json');
  writeFileSync(historyFile, JSON.stringify(history));
  const seeds: AuditSeed[] = [];
  const exportRuns: AuditExportRun[] = [];
  const verifyRuns: AuditVerifyRun[] = [];
  const analyticsRuns: AnalyticsStoreRun[] = [];
  const pageRuns: ConsolePageRun[] = [];
  try {
    for (const size of AUDIT.sizes) {
      const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-audit-'));
      try {
        const seed = await seedDataFolder(repoRoot, historyFile, dataDir, size);
        seeds.push({ ...seed, scriptSeconds: round(history.scriptSeconds) });
        progress.finish(
          `audit: ${size} tickets (${seed.copies} copies) and ${seed.grants} grants written in ${seed.writeSeconds} s`,
        );
        // The weekly report the console-pages part runs is stored, not mailed: at these sizes its email would pass
        // the 100 KB that mail clients show whole, which fails the schedule after the report is stored.
        const launch = { dataDir, env: { ANALYTICS_RECIPIENTS: '' } };
        const exported = await withLocalSystem(async (system) => {
          // The export first: the checkpoint reads every chain, and a resident set seldom shrinks again.
          const run = parts.exports ? await exportOnce(system, size, progress) : undefined;
          if (parts.verify) verifyRuns.push(await verifyOnce(system, repoRoot, dataDir, size, progress));
          if (parts.analyticsStore) analyticsRuns.push(await measureAnalyticsStore(system, size, progress));
          if (parts.consolePages) pageRuns.push(...(await measureConsolePages(system, size, progress)));
          return run;
        }, launch);
        if (exported) {
          exportRuns.push({
            ...exported,
            liveHeap: await liveHeapOnce(withLocalSystem, launch, size, progress),
          });
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(dirname(historyFile), { recursive: true, force: true });
  }
  return {
    ...(parts.exports ? { auditExport: { ...stamp, seeds, runs: exportRuns } } : {}),
    ...(parts.verify ? { auditVerify: { ...stamp, seeds, runs: verifyRuns } } : {}),
    ...(parts.analyticsStore ? { analyticsStore: { ...stamp, seeds, runs: analyticsRuns } } : {}),
    ...(parts.consolePages ? { consolePages: { ...stamp, seeds, runs: pageRuns } } : {}),
  };
}

/**
 * Seeds the store of a data folder before any local system starts on it (bench/audit-seed.ts, in a process of its
 * own): its schedules (the audit checkpoint every 15 minutes above all) would otherwise run on a history half
 * written, and the system's first start then measures a process that holds nothing but its start-up and the work.
 */
async function seedDataFolder(
  repoRoot: string,
  historyFile: string,
  dataDir: string,
  size: number,
): Promise<AuditHistory> {
  const resultFile = `${dataDir}.seeded.json`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/audit-seed.ts', historyFile, dataDir, String(size), resultFile],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`Seeding ${size} tickets exited with ${code}`);
  try {
    return JSON.parse(readFileSync(resultFile, 'utf8')) as AuditHistory;
  } finally {
    rmSync(resultFile, { force: true });
  }
}

interface ExportJob extends JobView {
  result: { rows: number; bytes: number; url: string } | null;
}

/**
 * The live heap: the export again on a fresh start of the same folder, its node with `--expose-gc`, so each heap
 * reading (every AUDIT.liveHeapSampleMs) follows a full GC. A start of its own keeps those GCs out of the measured
 * run's seconds. The schedules' state goes first, so they start afresh as at the folder's first start rather than
 * catch up at once on the runs that fell due meanwhile (the audit checkpoint among them).
 */
async function liveHeapOnce(
  withLocalSystem: WithLocalSystem,
  launch: LaunchOptions & { dataDir: string },
  tickets: number,
  progress: Progress,
): Promise<NonNullable<AuditExportRun['liveHeap']>> {
  rmSync(join(launch.dataDir, 'scheduler.json'), { force: true });
  const run = await withLocalSystem((system) => exportOnce(system, tickets, progress, true), {
    ...launch,
    nodeFlags: ['--expose-gc'],
  });
  if (!run.memory.collected) throw new Error('GET /dev/memory ran no GC: the server lacks --expose-gc');
  return {
    seconds: run.seconds,
    before: run.memory.before.heapUsed,
    peak: run.memory.peakHeapUsed,
    samples: run.memory.samples,
    load: run.load,
  };
}

/**
 * One export of the whole period through the API, followed until done, then its file downloaded and counted; the
 * server's memory read every AUDIT.sampleMs meanwhile, or every AUDIT.liveHeapSampleMs for the live-heap run.
 */
async function exportOnce(
  system: Ready,
  tickets: number,
  progress: Progress,
  liveHeap = false,
): Promise<AuditExportRun & Required<Pick<AuditExportRun, 'load'>>> {
  // A connection of its own for the memory samples, so they never wait behind a poll.
  const api = new JsonClient(system.url, 1);
  const sampler = new JsonClient(system.url, 1);
  try {
    const auth = { authorization: `Bearer ${await devToken(api, EXPORTING_AS)}` };
    const metrics = async () => (await expectOk(api.get('/dev/metrics'), 'GET /dev/metrics')) as LocalMetrics;
    const before = await metrics();
    const to = new Date();
    const body = {
      from: new Date(to.getTime() - PERIOD_DAYS * DAY_MS).toISOString(),
      to: to.toISOString(),
      format: 'csv',
    };
    // The store's folder as the kernel names the files mapped from it.
    const storeFolder = realpathSync(join(system.dataDir, 'dynamodb'));
    const everyMs = liveHeap ? AUDIT.liveHeapSampleMs : AUDIT.sampleMs;
    const watching = { api: sampler, pid: system.pid, storeFolder, everyMs };
    const loadBefore = round(loadavg()[0] ?? 0);
    const { result: followed, memory } = await watchMemory(watching, async () => {
      const started = await api.post('/audit/exports', body, auth);
      if (started.status !== 202) throw unexpected('POST /audit/exports', started);
      const startedAt = performance.now();
      const job = await followJob<ExportJob>(
        api,
        auth,
        `/audit/exports/${(started.body as { id: string }).id}`,
        {
          part: 'audit-export',
          phase: liveHeap ? 'tickets exported, live heap read' : 'tickets exported',
          total: tickets,
          pollMs: AUDIT.sampleMs,
          timeoutMs: AUDIT.timeoutMs,
          progress,
        },
      );
      return { job, seconds: (performance.now() - startedAt) / 1000 };
    });
    const load: [number, number] = [loadBefore, round(loadavg()[0] ?? 0)];
    const after = await metrics();
    const { job, seconds } = followed;
    if (job.status !== 'done' || !job.result) {
      throw new Error(`Export ${job.id} ${job.status}: ${job.error?.name}: ${job.error?.message}`);
    }
    const fileRows = await countCsvRecords(job.result.url);
    progress.finish(
      `audit-export: ${tickets} tickets, ${job.result.rows} rows in ${round(seconds)} s${liveHeap ? ', live heap read' : ''}`,
    );
    return {
      tickets,
      rows: job.result.rows,
      fileRows,
      bytes: job.result.bytes,
      seconds: round(seconds),
      rowsPerSecond: round(job.result.rows / seconds),
      ticketsPerSecond: round(tickets / seconds),
      steps: after.lambda.workflow - before.lambda.workflow,
      stateTransitions: after.stepfunctions.stateTransitions - before.stepfunctions.stateTransitions,
      memory,
      load,
    };
  } finally {
    api.close();
    sampler.close();
  }
}

/** Records in a CSV file as it streams in, header left out: a line break inside quotes is part of a cell. */
function countCsvRecords(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`Downloading the export answered ${response.statusCode}`));
        return;
      }
      let records = 0;
      let quoted = false;
      let lineOpen = false;
      response.on('data', (chunk: Buffer) => {
        for (const byte of chunk) {
          if (byte === 0x22) quoted = !quoted;
          if (byte === 0x0a && !quoted) {
            records++;
            lineOpen = false;
          } else lineOpen = true;
        }
      });
      response.on('error', reject);
      response.on('end', () => resolve(records + (lineOpen ? 1 : 0) - 1));
    }).on('error', reject);
  });
}

/**
 * A checkpoint made through the local system, then `npm run audit:verify` as a user runs it, in a process of its
 * own against the local endpoints (node with tsx's loader rather than npx, so the pid watched is the verifier's).
 */
async function verifyOnce(
  system: Ready,
  repoRoot: string,
  dataDir: string,
  tickets: number,
  progress: Progress,
): Promise<AuditVerifyRun> {
  const api = new JsonClient(system.url, 1);
  let endpoints: { dynamodb: string; s3: string };
  let checkpointSeconds: number;
  try {
    endpoints = (await expectOk(api.get('/dev/endpoints'), 'GET /dev/endpoints')) as typeof endpoints;
    progress.update('audit-verify', 0, 1, 'checkpoint');
    const checkpointStart = performance.now();
    await expectOk(
      api.post('/dev/schedules/audit-checkpoint/run', {}),
      'POST /dev/schedules/audit-checkpoint/run',
    );
    checkpointSeconds = (performance.now() - checkpointStart) / 1000;
  } finally {
    api.close();
  }

  const env = {
    ...process.env,
    TOLLGATE_DATA_DIR: dataDir,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
  };
  const { seconds, peakRss, exitCode, output } = await runVerifier(repoRoot, env, []);
  // The control: the same verification with V8's young generation held small (see AUDIT.youngGenerationCap).
  progress.update('audit-verify', 0, 1, 'again, young generation capped');
  const capped = await runVerifier(repoRoot, env, [`--max-semi-space-size=${AUDIT.youngGenerationCap}`]);
  // `Chains: 10042 (10000 tickets, 41 grants, the admin log): 10042 intact, 0 newer, ...`
  const chainsLine = output.find((line) => /^Chains: \d+/.test(line));
  if (!chainsLine)
    throw new Error(`audit:verify exited ${exitCode} without counting chains:\n${output.join('\n')}`);
  const chains = Number(/^Chains: (\d+)/.exec(chainsLine)?.[1]);
  progress.finish(`audit-verify: ${chains} chains in ${round(seconds)} s, exit ${exitCode}`);
  return {
    tickets,
    chains,
    chainsLine,
    checkpointSeconds: round(checkpointSeconds),
    seconds: round(seconds),
    chainsPerSecond: round(chains / seconds),
    peakRss,
    exitCode,
    output,
    youngGenerationCapped: {
      seconds: round(capped.seconds),
      peakRss: capped.peakRss,
      exitCode: capped.exitCode,
    },
  };
}

/** `bin/audit-verify.ts` in a process of its own with node's `flags`, watched until it exits. */
async function runVerifier(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
  flags: string[],
): Promise<{ seconds: number; peakRss: number; exitCode: number; output: string[] }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'bin/audit-verify.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 20) output.shift();
  };
  createInterface({ input: child.stdout }).on('line', keep);
  createInterface({ input: child.stderr }).on('line', keep);
  let peakRss = 0;
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let exitCode: number | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (exitCode === undefined) {
    try {
      peakRss = Math.max(peakRss, residentSet(child.pid as number).peakRss);
    } catch {
      // Gone between the check and the read: the last reading stands.
    }
    if (performance.now() - startedAt > AUDIT.timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`audit:verify was still running after ${AUDIT.timeoutMs / 1000} s`);
    }
    await Promise.race([exited, sleep(AUDIT.verifyPollMs)]);
  }
  return { seconds: (performance.now() - startedAt) / 1000, peakRss, exitCode, output };
}
