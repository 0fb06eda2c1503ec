import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessBody, supportBody } from '../support/bodies';
import type { ApiClient } from '../support/client';
import { listAll, pageThrough } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, services } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';

interface Ticket {
  id: string;
  number: string;
  status: string;
  requester: string;
  beneficiary: string;
  system: string | null;
  entitlement: string | null;
  [field: string]: unknown;
}

interface Page {
  items: Ticket[];
  next: string | null;
}

interface ErrorBody {
  error: { code: string; fields?: Record<string, string> };
}

const newestFirst = (tickets: Ticket[]) =>
  tickets
    .map((ticket) => ticket.id)
    .sort()
    .reverse();

describe('GET /requests searched through the local server', () => {
  let tollgate: TestRuntime;
  let felix: ApiClient;
  let bo: ApiClient;
  let auditor: ApiClient;
  let security: ApiClient;
  /** Every ticket filed, as it settled; felix's all filed before `boundary`, bo's all after. */
  const filed: Ticket[] = [];
  let boundary: string;

  const byFelix = () => filed.filter((ticket) => ticket.requester === people.felix);
  const byBo = () => filed.filter((ticket) => ticket.requester === people.bo);
  const search = (client: ApiClient, query: Record<string, string>) =>
    client.get<Page>(`/requests?${new URLSearchParams({ limit: '100', ...query })}`);

  async function file(client: ApiClient, body: Record<string, unknown>): Promise<void> {
    const created = await client.post<Ticket>('/requests', body);
    if (created.status !== 201) throw new Error(`could not file: ${created.text}`);
    filed.push(await waitForTicket<Ticket>(client, created.body.id, settled));
  }

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    felix = await tollgate.as(people.felix);
    bo = await tollgate.as(people.bo);
    auditor = await tollgate.as(people.aude);
    security = await tollgate.as(people.sam);
    await file(felix, accessBody());
    await file(
      felix,
      accessBody({
        system: 'github',
        entitlement: 'github-write',
        justification: 'Cutting the release branch',
      }),
    );
    await file(felix, accessBody({ beneficiary: services.billingExport }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    boundary = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await file(bo, accessBody());
    await file(bo, accessBody({ system: 'github', entitlement: 'github-read' }));
    await file(
      bo,
      accessBody({
        system: 'github',
        entitlement: 'github-write',
        justification: 'Cutting the release branch',
      }),
    );
    await file(bo, supportBody());
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  it('gives every ticket its own number, TG-{n}, in the ticket and in the list', async () => {
    // Act
    const listed = await pageThrough<Ticket>(auditor, '/requests', { limit: '100' });

    // Assess
    const numbers = filed.map((ticket) => ticket.number);
    expect(numbers.every((number) => /^TG-[1-9][0-9]*$/.test(number))).toBe(true);
    expect(new Set(numbers).size).toBe(filed.length);
    expect(new Map(listed.items.map((item) => [item.id, item.number]))).toEqual(
      new Map(filed.map((ticket) => [ticket.id, ticket.number])),
    );
  });

  it("finds a system's tickets, newest first, and nothing else", async () => {
    // Act
    const response = await search(auditor, { system: 'github' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(filed.filter((ticket) => ticket.system === 'github')),
    );
  });

  it("finds one entitlement's tickets within a system", async () => {
    // Act
    const response = await search(auditor, { system: 'github', entitlement: 'github-write' });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(filed.filter((ticket) => ticket.entitlement === 'github-write')),
    );
    expect(response.body.items).toHaveLength(2);
  });

  it("finds an entitlement's tickets without naming its system", async () => {
    // Act
    const response = await search(auditor, { entitlement: 'wiki-read' });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(filed.filter((ticket) => ticket.entitlement === 'wiki-read')),
    );
    expect(response.body.items).toHaveLength(3);
  });

  it("finds a requester's tickets", async () => {
    // Act
    const response = await search(auditor, { requester: people.bo });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(newestFirst(byBo()));
  });

  it("finds a beneficiary's tickets", async () => {
    // Act
    const response = await search(auditor, { beneficiary: services.billingExport });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(filed.filter((ticket) => ticket.beneficiary === services.billingExport)),
    );
    expect(response.body.items).toHaveLength(1);
  });

  it('finds the tickets in a status, with a system, as they are now', async () => {
    // Prepare
    const status = filed.find((ticket) => ticket.system === 'github')?.status ?? '';

    // Act
    const response = await search(auditor, { status, system: 'github' });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(filed.filter((ticket) => ticket.status === status && ticket.system === 'github')),
    );
    expect(response.body.items.length).toBeGreaterThan(0);
  });

  it('finds the tickets submitted from a time on, and those up to it', async () => {
    // Act
    const after = await search(auditor, { from: boundary });
    const before = await search(auditor, { to: boundary });

    // Assess
    expect(after.body.items.map((item) => item.id)).toEqual(newestFirst(byBo()));
    expect(before.body.items.map((item) => item.id)).toEqual(newestFirst(byFelix()));
  });

  it("takes a period's ends as days, the whole of each", async () => {
    // Prepare
    const today = boundary.slice(0, 10);

    // Act
    const response = await search(auditor, { requester: people.felix, from: today, to: today });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(newestFirst(byFelix()));
  });

  it('finds a ticket by its number, with or without the TG- prefix', async () => {
    // Prepare
    const wanted = byBo()[1] as Ticket;

    // Act
    const prefixed = await search(auditor, { number: wanted.number });
    const bare = await search(auditor, { number: wanted.number.slice(3) });

    // Assess
    expect(prefixed.body.items.map((item) => item.id)).toEqual([wanted.id]);
    expect(bare.body.items.map((item) => item.id)).toEqual([wanted.id]);
  });

  it('finds no ticket by a number never allocated', async () => {
    // Act
    const response = await search(auditor, { number: 'TG-999999' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([]);
  });

  it('lets a requester search their own tickets by any filter', async () => {
    // Act
    const response = await search(felix, { requester: people.felix, system: 'github' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(byFelix().filter((ticket) => ticket.system === 'github')),
    );
  });

  it('lets an owner search the tickets of their service account', async () => {
    // Act
    const response = await search(felix, { beneficiary: services.billingExport });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(1);
  });

  it("refuses a requester a search of someone else's tickets, or across people, with 403", async () => {
    // Act
    const responses = await Promise.all([
      search(felix, { requester: people.bo }),
      search(felix, { beneficiary: people.bo }),
      search(felix, { system: 'github' }),
      search(felix, { entitlement: 'wiki-read' }),
      search(felix, { from: boundary }),
    ]);

    // Assess
    expect(responses.map((response) => response.status)).toEqual([403, 403, 403, 403, 403]);
    expect(responses.map((response) => (response.body as unknown as ErrorBody).error.code)).toEqual(
      Array(5).fill('forbidden'),
    );
  });

  it("hides another person's ticket from a search by its number, as if it were never filed", async () => {
    // Prepare
    const theirs = byBo()[0] as Ticket;

    // Act
    const response = await search(felix, { number: theirs.number });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([]);
  });

  it("lets security search another person's tickets", async () => {
    // Act
    const response = await search(security, { requester: people.bo, system: 'github' });

    // Assess
    expect(response.body.items.map((item) => item.id)).toEqual(
      newestFirst(byBo().filter((ticket) => ticket.system === 'github')),
    );
  });

  it('pages through a filtered search with the signed cursor, one ticket a page', async () => {
    // Act
    const listed = await listAll(auditor, { requester: people.bo, limit: '1' });

    // Assess
    expect(listed.ids).toEqual(newestFirst(byBo()));
    expect(listed.pages).toHaveLength(byBo().length);
  });

  it("refuses a search's cursor on another search", async () => {
    // Prepare
    const first = await search(auditor, { requester: people.bo, limit: '1' });

    // Act
    const response = await search(auditor, {
      requester: people.felix,
      limit: '1',
      cursor: first.body.next ?? '',
    });

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as unknown as ErrorBody).error.fields).toHaveProperty('cursor');
  });

  it.each([
    [{ status: 'lost' }, 'status'],
    [{ from: '2026-12-06', to: '2026-12-05' }, 'to'],
    [{ from: 'yesterday' }, 'from'],
    [{ to: '2026-02-30' }, 'to'],
    [{ number: 'TG-0' }, 'number'],
    [{ number: 'TG-12a' }, 'number'],
    [{ requester: 'not an id' }, 'requester'],
  ])('answers %o with a 400 naming %s', async (query, field) => {
    // Act
    const response = await search(auditor, query as Record<string, string>);

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as unknown as ErrorBody).error.fields).toHaveProperty(field);
  });
});
