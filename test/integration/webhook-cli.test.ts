import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { approvedHrisRequest } from '../support/webhooks';
import { eventually, TollgateClient } from '../support/workflow-client';

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
  // Both at the listener, as `npm start` points them at it: the provisioning target and the demo subscriber.
  server = await startTollgate({
    env: {
      WEBHOOK_TARGETS: JSON.stringify({ provisioning: `http://127.0.0.1:${port}/` }),
      WEBHOOK_SUBSCRIBERS: JSON.stringify([
        { name: 'demo', url: `http://127.0.0.1:${port}/`, events: ['ticket.created', 'grant.activated'] },
      ]),
    },
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
    await eventually(async () =>
      printed.includes(`grant.activated v1 {"ticket":"${ticket.id}"`) ? true : undefined,
    );
    expect(printed).toContain(`ticket.created v1 {"ticket":"${ticket.id}"`);
    expect(printed).not.toContain('refused');
  }, 90_000);
});
