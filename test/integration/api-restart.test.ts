import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { specExampleBody } from '../support/bodies';
import { apiClient, devToken } from '../support/client';
import { listAll } from '../support/lists';
import { people } from '../support/seed';
import { killAllSpawned, spawnNpmStart, startNpmServer } from '../support/spawned';

interface Ticket {
  id: string;
  status: string;
}

describe('npm start in a child process, on a data folder on disk', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-restart-'));
  });

  afterEach(async () => {
    await killAllSpawned();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers an Idempotency-Key replay after kill -9 and a restart with the original ticket', async () => {
    // Prepare
    const first = await startNpmServer(dataDir);
    const token = await devToken(first.url, people.felix);
    const key = randomUUID();
    const original = await apiClient(first.url, token).post<Ticket>('/requests', specExampleBody, {
      headers: { 'idempotency-key': key },
    });
    await first.kill();

    // Act
    const second = await startNpmServer(dataDir);
    const felix = apiClient(second.url, token);
    const replay = await felix.post<Ticket>('/requests', specExampleBody, {
      headers: { 'idempotency-key': key },
    });
    const otherBody = await felix.post(
      '/requests',
      { ...specExampleBody, urgency: 'high' },
      {
        headers: { 'idempotency-key': key },
      },
    );
    const readBack = await felix.get<Ticket>(`/requests/${original.body.id}`);
    const { ids } = await listAll(felix, { mine: 'true' });

    // Assess
    expect(original.status, original.text).toBe(201);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body).toEqual(original.body);
    expect(otherBody.status, otherBody.text).toBe(409);
    expect(readBack.status, readBack.text).toBe(200);
    expect(ids).toEqual([original.body.id]);
  });

  it('refuses a second process on the same data folder at once, naming the folder', async () => {
    // Prepare
    const running = await startNpmServer(dataDir);

    // Act
    const intruder = spawnNpmStart(dataDir);
    const { code } = await intruder.exited;

    // Assess
    expect(code).not.toBe(0);
    const { stdout, stderr } = intruder.output();
    expect(stdout).not.toMatch(/^READY/m);
    expect(stderr).toContain(dataDir);
    expect(stderr).toMatch(/in use/i);
    const stillServing = await apiClient(running.url, await devToken(running.url, people.alex)).get(
      '/catalog',
    );
    expect(stillServing.status).toBe(200);
  });
});
