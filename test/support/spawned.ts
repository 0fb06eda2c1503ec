import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SpawnedServer {
  child: ChildProcess;
  /** The URL from the `READY <url>` line. */
  url: string;
  output(): { stdout: string; stderr: string };
  /** SIGKILL to the whole process group (npm, tsx and the server), as a crash would. */
  kill(): Promise<void>;
}

export interface SpawnOutcome {
  child: ChildProcess;
  /** Resolves with the URL once `READY <url>` is printed; rejects if the process exits first. */
  ready: Promise<string>;
  /** Resolves with the exit code (or signal) when the `npm start` process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
}

const started = new Set<ChildProcess>();

/**
 * `npm start` in a child process group of its own, with its data on disk in `dataDir` and every
 * port chosen by the system, so the tests can kill the whole tree and start it again.
 */
export function spawnNpmStart(dataDir: string, env: Record<string, string> = {}): SpawnOutcome {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_STORE: 'disk',
      TOLLGATE_QUIET: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      // The restart tests count the tickets they wrote; 90 days of demo tickets would hide them.
      TOLLGATE_DEMO_HISTORY: 'false',
      ...env,
    },
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    started.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^READY (\S+)$/m.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`npm start ended (${code ?? signal}) before READY:\n${stdout}\n${stderr}`)),
    );
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

/** Starts `npm start` and waits for its READY line. */
export async function startNpmServer(dataDir: string, env?: Record<string, string>): Promise<SpawnedServer> {
  const outcome = spawnNpmStart(dataDir, env);
  try {
    const url = await outcome.ready;
    return {
      child: outcome.child,
      url,
      output: outcome.output,
      kill: () => killGroup(outcome.child, outcome.exited),
    };
  } catch (error) {
    await killGroup(outcome.child, outcome.exited);
    throw error;
  }
}

async function killGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined) return;
  signalGroup(child.pid, 'SIGKILL');
  await exited;
  await groupGone(child.pid);
}

/** Whether a signal reached the group; false once no process of it is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * The server is a grandchild of `npm start`: once the group is killed it is an orphan, and until
 * init reaps it (seconds, in some containers) it still counts as alive, which is what the data
 * folder's lock checks. No event announces the reaping, so this polls for it.
 */
async function groupGone(pgid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (signalGroup(pgid, 0)) {
    if (Date.now() > deadline)
      throw new Error(`process group ${pgid} still exists ${timeoutMs} ms after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Kills every server these helpers started that is still running (for afterAll). */
export async function killAllSpawned(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      if (child.pid === undefined) return;
      const exited = child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined;
      signalGroup(child.pid, 'SIGKILL');
      await exited;
      await groupGone(child.pid);
    }),
  );
}
