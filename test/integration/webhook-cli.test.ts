import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { approvedHrisRequest } from '../support/webhooks';
import { TollgateClient } from '../support/workflow-client';

const ROOT = new URL('../../', import.meta.url).pathname;

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

let server: TollgateProcess;
let listener: ChildProcess;
let printed = '';

beforeAll(async () => {
  const port = await freePort();
  server = await startTollgate({
    env: { WEBHOOK_TARGETS: JSON.stringify({ provisioning: `http://127.0.0.1:${port}/` }) },
  });
  listener = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/webhook.ts', 'listen', '--port', String(port), '--answer', 'completed'],
    {
      cwd: ROOT,
      env: { ...process.env, TOLLGATE_DATA_DIR: server.dataDir, PORT: new URL(server.url).port },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  listener.stdout?.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  await new Promise<void>((resolve) => {
    const wait = setInterval(() => {
      if (printed.includes('Listening')) {
        clearInterval(wait);
        resolve();
      }
    }, 50);
  });
});

afterAll(async () => {
  listener?.kill();
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe('npm run webhook -- listen --answer completed', () => {
  it('receives the hris provisioning request, prints it and reports it done, so the grant is active', async () => {
    // Prepare
    const client = new TollgateClient(server.url);

    // Act
    const ticket = await approvedHrisRequest(client);
    const granted = await client.ticketWhen(people.alex, ticket.id, (t) => t.status === 'active', 30_000);

    // Assess
    expect(granted.status).toBe('active');
    expect(printed).toContain(`grant.requested {"delivery":"${ticket.id}.fulfilment"`);
  }, 90_000);
});
