import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessBody, specExampleBody } from '../support/bodies';
import type { ApiClient } from '../support/client';
import { directoryOf, serviceAccount, system } from '../support/directory';
import { nestedJson } from '../support/hostile';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { waitForTicket } from '../support/tickets';

interface Ticket {
  id: string;
  number: string;
  status: string;
  version: number;
}

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

describe('Idempotency-Key on POST /requests', () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    // Directory and catalog changes must show in the very next request.
    tollgate = await startTestRuntime({ DIRECTORY_CACHE_SECONDS: '0' });
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  const file = (client: ApiClient, key: string, body: unknown) =>
    client.post<Ticket>('/requests', body, { headers: { 'idempotency-key': key } });

  const mine = async (client: ApiClient) => (await listAll(client, { mine: 'true' })).ids;

  it('replays the original ticket for the same key and body, and stores one ticket', async () => {
    // Prepare
    const felix = await tollgate.as(people.felix);
    const key = randomUUID();
    const before = await mine(felix);

    // Act
    const first = await file(felix, key, specExampleBody);
    const replay = await file(felix, key, specExampleBody);

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const after = await mine(felix);
    expect(after.filter((id) => id === first.body.id)).toHaveLength(1);
    expect(after).toHaveLength(before.length + 1);
  });

  it('keeps the number of a replayed ticket, and takes no other for it', async () => {
    // Prepare
    const felix = await tollgate.as(people.felix);
    const key = randomUUID();
    const first = await file(felix, key, specExampleBody);

    // Act
    const replay = await file(felix, key, specExampleBody);
    const next = await felix.post<Ticket>('/requests', specExampleBody);

    // Assess
    expect(replay.body.number).toBe(first.body.number);
    expect(Number(next.body.number.slice(3))).toBe(Number(first.body.number.slice(3)) + 1);
  });

  it('treats the same body with its keys in another order as the same body', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const key = randomUUID();
    const body = accessBody({ urgency: 'low' });
    const reordered = Object.fromEntries(Object.entries(body).reverse());

    // Act
    const first = await file(alex, key, body);
    const replay = await file(alex, key, reordered);

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
  });

  it('answers 409 for the same key with another body, and stores nothing more', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const key = randomUUID();
    const first = await file(alex, key, accessBody());
    const before = await mine(alex);

    // Act
    const conflict = await alex.post<ErrorBody>('/requests', accessBody({ urgency: 'high' }), {
      headers: { 'idempotency-key': key },
    });

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(conflict.status, conflict.text).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
    expect(await mine(alex)).toEqual(before);
  });

  it('answers the original response even after the ticket has moved on', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const key = randomUUID();
    const first = await file(alex, key, accessBody({ justification: 'Original response check for replay' }));
    await waitForTicket(alex, first.body.id, (ticket) => ticket.status !== 'submitted');

    // Act
    const replay = await file(alex, key, accessBody({ justification: 'Original response check for replay' }));

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body).toEqual(first.body);
  });

  it('answers the original response after its entitlement was removed from the catalog', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const catalog = directoryOf(tollgate);
    await catalog.put({ systems: [system('idem-wiki', people.erin, people.ian, ['idem-read'])] });
    const body = accessBody({ system: 'idem-wiki', entitlement: 'idem-read' });
    const key = randomUUID();
    const first = await file(alex, key, body);
    await catalog.put({ systems: [system('idem-wiki', people.erin, people.ian, ['idem-write'])] });

    // Act
    const replay = await file(alex, key, body);
    const underAnotherKey = await file(alex, randomUUID(), body);

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(underAnotherKey.status, underAnotherKey.text).toBe(400);
  });

  it('answers the original response after the beneficiary changed owner in the directory', async () => {
    // Prepare
    const felix = await tollgate.as(people.felix);
    const directory = directoryOf(tollgate);
    await directory.put({ identities: [serviceAccount('svc:idem-export', people.felix)] });
    const body = accessBody({ beneficiary: 'svc:idem-export' });
    const key = randomUUID();
    const first = await file(felix, key, body);
    await directory.put({ identities: [serviceAccount('svc:idem-export', people.bo)] });

    // Act
    const replay = await file(felix, key, body);
    const underAnotherKey = await file(felix, randomUUID(), body);

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(replay.status, replay.text).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(underAnotherKey.status, underAnotherKey.text).toBe(403);
  });

  it('answers 409 for the same key with another body even when that body is invalid', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const key = randomUUID();
    const first = await file(alex, key, accessBody());

    // Act
    const conflict = await alex.post<ErrorBody>('/requests', accessBody({ entitlement: 'no-such-thing' }), {
      headers: { 'idempotency-key': key },
    });

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(conflict.status, conflict.text).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
  });

  it('answers 409 for the same key with a body nested too deep to canonicalize', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const key = randomUUID();
    const first = await file(alex, key, accessBody());

    // Act
    const conflict = await alex.post<ErrorBody>('/requests', undefined, {
      raw: nestedJson(20_000, 'array'),
      headers: { 'idempotency-key': key },
    });

    // Assess
    expect(first.status, first.text).toBe(201);
    expect(conflict.status, conflict.text).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
  });

  it('leaves the key of a refused request free for the corrected one', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const key = randomUUID();
    const refused = await alex.post<ErrorBody>('/requests', accessBody({ entitlement: 'no-such-thing' }), {
      headers: { 'idempotency-key': key },
    });

    // Act
    const corrected = await file(alex, key, accessBody());

    // Assess
    expect(refused.status, refused.text).toBe(400);
    expect(Object.keys(refused.body.error.fields ?? {})).toEqual(['entitlement']);
    expect(corrected.status, corrected.text).toBe(201);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps keys per caller: the same key from two callers files two tickets', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const bo = await tollgate.as(people.bo);
    const key = randomUUID();

    // Act
    const fromAlex = await file(alex, key, accessBody());
    const fromBo = await file(bo, key, accessBody());

    // Assess
    expect(fromAlex.status, fromAlex.text).toBe(201);
    expect(fromBo.status, fromBo.text).toBe(201);
    expect(fromBo.body.id).not.toBe(fromAlex.body.id);
  });

  it('files one ticket when the same key and body arrive ten times at once', async () => {
    // Prepare
    const bo = await tollgate.as(people.bo);
    const key = randomUUID();
    const body = accessBody({ system: 'github', entitlement: 'github-read' });
    const before = await mine(bo);

    // Act
    const responses = await Promise.all(Array.from({ length: 10 }, () => file(bo, key, body)));

    // Assess
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect(await mine(bo)).toHaveLength(before.length + 1);
  });
});
