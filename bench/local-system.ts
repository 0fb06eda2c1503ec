import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localCredentials } from '../functions/local/dynamodb';

export interface LocalSystem {
  /** Resolves once the server printed `READY <url>`. */
  ready: Promise<Ready>;
  /** Stops the server and removes its data folder unless the caller gave it; safe to call more than once. */
  stop(): Promise<void>;
}

export interface Ready {
  url: string;
  dynamodbUrl: string;
  /** The server's own process: node runs bin/local.ts with no wrapper. */
  pid: number;
  /** Milliseconds from spawning the process to its `READY` line. */
  startupMs: number;
  /** Its data folder (the outbox is in it). */
  dataDir: string;
}

export interface LaunchOptions {
  /** Flags for the server's node, such as `--expose-gc`. */
  nodeFlags?: string[];
  /** An existing data folder to start on, which stop() leaves in place; by default a new temp folder. */
  dataDir?: string;
  /** Settings for the server beyond the bench's own environment, such as `TOLLGATE_TIME_SCALE`. */
  env?: Record<string, string>;
}

/**
 * Starts a local system, runs `work` against it and stops it. run.ts hands one to each part of the bench,
 * so that a Ctrl-C stops whichever system is running.
 */
export type WithLocalSystem = <T>(work: (system: Ready) => Promise<T>, options?: LaunchOptions) => Promise<T>;

type Child = ChildProcessByStdio<null, Readable, Readable>;

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Launches the real local system (`bin/local.ts`) in a child process on any free port, with its own
 * on-disk store in a temp folder (or the one given), so the bench measures what `npm start` serves and
 * never touches the developer's `.tollgate/`. Returns at once so a Ctrl-C during start-up can still stop it.
 */
export function launchLocalSystem(repoRoot: string, options: LaunchOptions = {}): LocalSystem {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const spawnedAt = performance.now();
  // node with tsx's loader rather than `npx tsx`: no wrapper process, so our signals reach the server.
  // Detached: a Ctrl-C in the terminal reaches only the bench, which then stops the server once.
  const child: Child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', 'bin/local.ts'],
    {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // No subscriber unless a part names one (outbound-lag does), so the other parts measure what they did.
        WEBHOOK_SUBSCRIBERS: '[]',
        ...options.env,
        PORT: '0',
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_STORE: 'disk',
        TOLLGATE_QUIET: 'true',
        TOLLGATE_DEMO_HISTORY: 'false',
      },
    },
  );
  // Kept so a server that fails can say why; reading it also keeps the pipe from filling up.
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopChild(child).then(() => {
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    });
    return stopping;
  };
  const ready = waitForReady(child, spawnedAt, () => stderrTail.join('\n')).then((started) => ({
    ...started,
    dataDir,
  }));
  return { ready, stop };
}

/** Reads the server's start-up lines until `READY <url>`, picking up the DynamoDB endpoint on the way. */
function waitForReady(
  child: Child,
  spawnedAt: number,
  stderr: () => string,
): Promise<Omit<Ready, 'dataDir'>> {
  return new Promise((resolve, reject) => {
    let dynamodbUrl: string | undefined;
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`The local system did not start: ${reason}\n${stderr()}`));
    };
    const timer = setTimeout(
      () => fail(`no READY line within ${READY_TIMEOUT_MS / 1000}s`),
      READY_TIMEOUT_MS,
    );
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const dynamo = /DynamoDB:\s+(http\S+)/.exec(line);
      if (dynamo) dynamodbUrl = dynamo[1];
      const ready = /^READY (\S+)/.exec(line);
      if (!ready?.[1]) return;
      const startupMs = performance.now() - spawnedAt;
      clearTimeout(timer);
      // A child that printed a line was spawned, so it has a pid.
      if (dynamodbUrl) resolve({ url: ready[1], dynamodbUrl, pid: child.pid as number, startupMs });
      else reject(new Error('The local system printed no "DynamoDB: <url>" line before READY'));
    });
  });
}

/** SIGTERM lets the server close its store cleanly; SIGKILL only if it hangs. */
async function stopChild(child: Child): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * A client of the local system's DynamoDB endpoint, keeping up to `maxSockets` connections alive as the API's
 * clients do, so the bench's own calls pay no more for connections than the system's.
 */
export function localDynamoClient(dynamodbUrl: string, maxSockets: number): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamodbUrl,
    region: 'us-east-1',
    credentials: localCredentials,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets }) },
  });
}
