import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface TollgateProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL, as a crash would: no cleanup runs. */
  kill(): Promise<number | null>;
  /** Waits for the process to exit on its own (e.g. at a TOLLGATE_FAULTS crash point). */
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * A guard against a start that hangs, not a measure of speed (the bench times start-up): a start takes
 * about 3 s alone, 13 s with six at once on two cores, and once took over 30 s in CI beside the
 * browser tests. As long as a hook may take (vitest.config.ts), and the process never outlives it.
 */
const READY_WITHIN_MS = 60_000;

export const newDataDir = () => mkdtempSync(join(tmpdir(), 'tollgate-test-'));
export const removeDataDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/**
 * Spawns the local system exactly as `npm start` runs it (tsx on bin/local.ts), in one process so a
 * SIGKILL hits the server itself, and waits for its READY line.
 */
export async function startTollgate(
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<TollgateProcess> {
  const dataDir = options.dataDir ?? newDataDir();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_QUIET: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      TOLLGATE_DEMO_HISTORY: 'false',
      // No subscriber unless a test names one: outbound events go nowhere on a fixed port of a shared machine.
      WEBHOOK_SUBSCRIBERS: '[]',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hung: NodeJS.Timeout | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    exit.then((code) => reject(new Error(`Tollgate exited (${code}) before it was ready:\n${output}`)));
    hung = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Tollgate was not ready after ${READY_WITHIN_MS / 1000} s:\n${output}`));
    }, READY_WITHIN_MS);
  }).finally(() => clearTimeout(hung));
  return {
    url,
    dataDir,
    child,
    output: () => output,
    exited: () => exit,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exit;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
}
