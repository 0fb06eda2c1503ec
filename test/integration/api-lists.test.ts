import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessBody, supportBody } from '../support/bodies';
import type { ApiClient } from '../support/client';
import { directoryOf, serviceAccount } from '../support/directory';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, services } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';

interface Ticket {
  id: string;
  status: string;
  createdAt: string;
  requester: string;
  beneficiary: string;
}

interface Page {
  items: Ticket[];
  next: string | null;
}

interface ErrorBody {
  error: { code: string; fields?: Record<string, string> };
}

const descending = (ids: string[]) => [...ids].sort().reverse();

describe('GET /requests through the local server', () => {
  let tollgate: TestRuntime;
  let felix: ApiClient;
  let auditor: ApiClient;
  /** Felix's tickets, in the order they were filed. */
  const filedByFelix: string[] = [];

  beforeAll(async () => {
    // The directory change below must show in the very next request.
    tollgate = await startTestRuntime({ DIRECTORY_CACHE_SECONDS: '0' });
    felix = await tollgate.as(people.felix);
    auditor = await tollgate.as(people.aude);
    for (let index = 0; index < 7; index++) {
      const body = accessBody(index % 2 ? { beneficiary: services.billingExport } : {});
      const created = await felix.post<Ticket>('/requests', body);
      if (created.status !== 201) throw new Error(`could not file: ${created.text}`);
      filedByFelix.push(created.body.id);
    }
    // An auditor's list reads one index partition per status: let the workflow settle each ticket
    // first, so a ticket moving between partitions during a read cannot make a test flaky.
    for (const id of filedByFelix) await waitForTicket(felix, id, settled);
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  it("lists the caller's tickets newest first", async () => {
    // Act
    const response = await felix.get<Page>('/requests?mine=true&limit=100');

    // Assess
    expect(response.status, response.text).toBe(200);
    const ids = response.body.items.map((item) => item.id);
    expect(ids).toEqual([...filedByFelix].reverse());
    const createdAt = response.body.items.map((item) => item.createdAt);
    expect(createdAt).toEqual([...createdAt].sort().reverse());
    expect(response.body.next).toBeNull();
    expect(response.body.items.every((item) => !('timeline' in item))).toBe(true);
  });

  it.each([1, 2, 3, 7])(
    'pages with limit=%i and next returns every ticket exactly once, in order',
    async (limit) => {
      // Act
      const { ids, pages } = await listAll(felix, { mine: 'true', limit: String(limit) });

      // Assess
      expect(ids).toEqual([...filedByFelix].reverse());
      expect(pages.every((page) => page.items.length <= limit)).toBe(true);
      expect(pages.slice(0, -1).every((page) => page.items.length === limit && page.next !== null)).toBe(
        true,
      );
      expect(pages.at(-1)?.next).toBeNull();
    },
  );

  it("pages an auditor's list of everyone's tickets without a gap or a repeat", async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const support = await alex.post<Ticket>('/requests', supportBody());
    await waitForTicket(alex, support.body.id, settled);
    const everything = (await auditor.get<Page>('/requests?limit=100')).body.items.map((item) => item.id);

    // Act
    const { ids } = await listAll(auditor, { limit: '2' });

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(descending(everything));
    expect(ids).toEqual(expect.arrayContaining(filedByFelix));
  });

  describe('refuses a cursor it did not issue for this query', () => {
    let cursor: string;

    beforeAll(async () => {
      const first = await felix.get<Page>('/requests?mine=true&limit=1');
      if (!first.body.next) throw new Error('expected a second page');
      cursor = first.body.next;
    });

    const tamper: [string, (valid: string) => string][] = [
      ['a changed signature', (valid) => `${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`],
      [
        'a changed position',
        (valid) => {
          const [body, signature] = valid.split('.') as [string, string];
          const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
          const forged = Buffer.from(JSON.stringify({ ...payload, after: '7ZZZZZZZZZZZZZZZZZZZZZZZZZ' }));
          return `${forged.toString('base64url')}.${signature}`;
        },
      ],
      ['no signature', (valid) => valid.split('.')[0] ?? ''],
      ['garbage', () => 'not-a-cursor'],
      ['garbage with a dot', () => '!!!.???'],
    ];

    it.each(tamper)('answers 400 naming the cursor for %s', async (_kind, change) => {
      // Act
      const response = await felix.get<ErrorBody>(
        `/requests?mine=true&limit=1&cursor=${encodeURIComponent(change(cursor))}`,
      );

      // Assess
      expect(response.status, response.text).toBe(400);
      expect(Object.keys(response.body.error.fields ?? {})).toEqual(['cursor']);
    });

    it('answers 400 naming the cursor for a cursor from another query', async () => {
      // Act
      const response = await felix.get<ErrorBody>(
        `/requests?mine=false&limit=1&cursor=${encodeURIComponent(cursor)}`,
      );

      // Assess
      expect(response.status, response.text).toBe(400);
      expect(Object.keys(response.body.error.fields ?? {})).toEqual(['cursor']);
    });

    it('accepts the cursor untouched, so the refusals above are about the tampering', async () => {
      // Act
      const response = await felix.get<Page>(
        `/requests?mine=true&limit=1&cursor=${encodeURIComponent(cursor)}`,
      );

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body.items.map((item) => item.id)).toEqual([filedByFelix.at(-2)]);
    });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=ten', 'limit'],
    ['status=approved', 'status'],
    ['mine=yes', 'mine'],
    ['colour=red', 'colour'],
  ])('answers 400 naming the parameter for %s', async (query, field) => {
    // Act
    const response = await felix.get<ErrorBody>(`/requests?${query}`);

    // Assess
    expect(response.status, response.text).toBe(400);
    expect(Object.keys(response.body.error.fields ?? {})).toEqual([field]);
  });

  it('accepts limit=1 and limit=100, the bounds of the contract', async () => {
    // Act
    const [one, hundred] = await Promise.all([
      felix.get<Page>('/requests?limit=1'),
      felix.get<Page>('/requests?limit=100'),
    ]);

    // Assess
    expect(one.status, one.text).toBe(200);
    expect(one.body.items).toHaveLength(1);
    expect(hundred.status, hundred.text).toBe(200);
  });

  it('mine=true lists exactly the tickets where the caller is requester or beneficiary', async () => {
    // Prepare: Erin files for her report Alex.
    const erin = await tollgate.as(people.erin);
    const alex = await tollgate.as(people.alex);
    const bo = await tollgate.as(people.bo);
    const created = await erin.post<Ticket>('/requests', accessBody({ beneficiary: people.alex }));
    await waitForTicket(erin, created.body.id, settled);

    // Act
    const [asRequester, asBeneficiary, asPeer, asAuditor, auditorAll] = await Promise.all([
      listAll(erin, { mine: 'true' }),
      listAll(alex, { mine: 'true' }),
      listAll(bo, { mine: 'true' }),
      listAll(auditor, { mine: 'true' }),
      listAll(auditor),
    ]);

    // Assess
    expect(created.status, created.text).toBe(201);
    expect(asRequester.ids).toContain(created.body.id);
    expect(asBeneficiary.ids).toContain(created.body.id);
    expect(asPeer.ids).not.toContain(created.body.id);
    expect(asAuditor.ids).toEqual([]);
    expect(auditorAll.ids).toContain(created.body.id);
    for (const [who, list] of [
      [people.erin, asRequester],
      [people.alex, asBeneficiary],
      [people.bo, asPeer],
    ] as const) {
      expect(list.items.every((item) => item.requester === who || item.beneficiary === who)).toBe(true);
    }
  });

  it('filters by status, for an auditor and for a requester', async () => {
    // Prepare: the workflow has put Felix's tickets up for approval.
    const id = filedByFelix[0] as string;
    await waitForTicket(felix, id, (ticket) => ticket.status === 'pending_approval');

    // Act
    const [pending, submitted, felixPending] = await Promise.all([
      listAll(auditor, { status: 'pending_approval' }),
      listAll(auditor, { status: 'submitted' }),
      listAll(felix, { status: 'pending_approval', mine: 'true' }),
    ]);

    // Assess
    expect(pending.ids).toContain(id);
    expect(pending.items.every((item) => item.status === 'pending_approval')).toBe(true);
    expect(submitted.ids).not.toContain(id);
    expect(submitted.items.every((item) => item.status === 'submitted')).toBe(true);
    expect(felixPending.ids).toContain(id);
    expect(felixPending.items.every((item) => item.status === 'pending_approval')).toBe(true);
    expect(felixPending.ids.every((ticketId) => filedByFelix.includes(ticketId))).toBe(true);
  });
  describe("after a service account changes owner, the new owner's lists", () => {
    let bo: ApiClient;
    /** Bo's own tickets, newest first. */
    const ownTickets: string[] = [];
    const filedForTheAccount: string[] = [];

    beforeAll(async () => {
      // Felix files for an account he owns, between two tickets Bo files; then the account moves to Bo.
      bo = await tollgate.as(people.bo);
      const directory = directoryOf(tollgate);
      await directory.put({ identities: [serviceAccount('svc:list-export', people.felix)] });
      const file = async (client: ApiClient, body: Record<string, unknown>) => {
        const created = await client.post<Ticket>('/requests', body);
        if (created.status !== 201) throw new Error(`could not file: ${created.text}`);
        return created.body.id;
      };
      ownTickets.push(await file(bo, accessBody()));
      for (let index = 0; index < 3; index++) {
        filedForTheAccount.push(await file(felix, accessBody({ beneficiary: 'svc:list-export' })));
      }
      ownTickets.unshift(await file(bo, accessBody()));
      await directory.put({ identities: [serviceAccount('svc:list-export', people.bo)] });
    });

    it('leave out the tickets filed under the previous owner, which GET /requests/{id} hides from him', async () => {
      // Act
      const [mine, all, single] = await Promise.all([
        listAll(bo, { mine: 'true' }),
        listAll(bo),
        Promise.all(filedForTheAccount.map((id) => bo.get(`/requests/${id}`))),
      ]);

      // Assess
      expect(single.map((response) => response.status)).toEqual([404, 404, 404]);
      expect(mine.ids).toEqual(ownTickets);
      expect(all.ids).toEqual(ownTickets);
    });

    it('page past the tickets left out: each page full, the last one ending with next null', async () => {
      // Act
      const { ids, pages } = await listAll(bo, { mine: 'true', limit: '1' });

      // Assess
      expect(ids).toEqual(ownTickets);
      expect(pages.map((page) => page.items.length)).toEqual([1, 1]);
      expect(pages.at(-1)?.next).toBeNull();
    });
  });
});
