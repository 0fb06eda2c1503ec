import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime';
import type { LocalSecrets } from '../../functions/local/secrets';
import { readLocalSettings } from '../../functions/local/settings';
import { type ApiClient, apiClient, devToken } from './client';

export interface TestRuntime {
  runtime: LocalRuntime;
  url: string;
  dataDir: string;
  /** Everything the runtime logged, for a failure message. */
  logs: string[];
  /** An API client signed in as `identity` (tokens are cached per identity). */
  as(identity: string): Promise<ApiClient>;
  /** An API client without a token. */
  anonymous: ApiClient;
  secrets(): Promise<LocalSecrets>;
  close(): Promise<void>;
}

/**
 * The whole local system in this process, as `npm start` runs it, on free ports, with the store in
 * memory and a temporary data folder. Handlers read their configuration from process.env once, so a
 * test file starts one runtime and shares it; `env` goes there too, for handler settings such as
 * DIRECTORY_CACHE_SECONDS.
 */
export async function startTestRuntime(env: Record<string, string> = {}): Promise<TestRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-api-'));
  const logs: string[] = [];
  // No subscriber unless a test names one: outbound events go nowhere on a fixed port of a shared machine.
  const settings = {
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
    WEBHOOK_SUBSCRIBERS: '[]',
    ...env,
  };
  // Put back when it closes, so a later runtime of the same file starts from the same environment.
  const before = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  const restoreEnv = () => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime(
      readLocalSettings({
        ...process.env,
        PORT: '0',
        TOLLGATE_STORE: 'memory',
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_QUIET: 'true',
        TOLLGATE_DEMO_HISTORY: 'false',
        ...env,
      }),
      (line) => logs.push(line),
    );
  } catch (error) {
    restoreEnv();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const tokens = new Map<string, string>();
  return {
    runtime,
    url: runtime.url,
    dataDir,
    logs,
    anonymous: apiClient(runtime.url),
    async as(identity) {
      let token = tokens.get(identity);
      if (!token) {
        token = await devToken(runtime.url, identity);
        tokens.set(identity, token);
      }
      return apiClient(runtime.url, token);
    },
    secrets: async () => JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as LocalSecrets,
    async close() {
      await runtime.close();
      restoreEnv();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
