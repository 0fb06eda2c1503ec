import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessBody } from '../support/bodies';
import type { ApiClient } from '../support/client';
import { pageThrough } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { eventually } from '../support/workflow-client';

interface InboxItem {
  id: string;
  ticket: { id: string };
  stage: string | null;
  deadline: string;
}

interface Inbox {
  items: InboxItem[];
  next: string | null;
}

interface ErrorBody {
  error: { code: string; fields?: Record<string, string> };
}

type Path = '/approvals' | '/fulfilments';

describe('GET /approvals and GET /fulfilments page like every list', () => {
  let tollgate: TestRuntime;
  const owner: Record<Path, ApiClient> = {} as Record<Path, ApiClient>;
  /** The tickets each inbox holds once the set-up is done. */
  const expected: Record<Path, string[]> = { '/approvals': [], '/fulfilments': [] };

  /** The whole inbox as one page answers it, once it holds at least `ticketIds`. */
  const inboxHolding = (path: Path, ticketIds: string[]) =>
    eventually(async () => {
      const { body } = await owner[path].get<Inbox>(`${path}?limit=100`);
      const held = new Set(body.items.map((item) => item.ticket.id));
      return ticketIds.every((id) => held.has(id)) ? body.items : undefined;
    });

  beforeAll(async () => {
    // Alex files seven tickets for his manager Erin to approve; she approves three, which then wait
    // for Ian, the wiki's fulfiller.
    tollgate = await startTestRuntime();
    const alex = await tollgate.as(people.alex);
    owner['/approvals'] = await tollgate.as(people.erin);
    owner['/fulfilments'] = await tollgate.as(people.ian);
    const filed: string[] = [];
    for (let index = 0; index < 7; index++) {
      const created = await alex.post<{ id: string }>('/requests', accessBody());
      if (created.status !== 201) throw new Error(`could not file: ${created.text}`);
      filed.push(created.body.id);
    }
    const tasks = await inboxHolding('/approvals', filed);
    const approved = filed.slice(0, 3);
    for (const ticketId of approved) {
      const task = tasks.find((item) => item.ticket.id === ticketId);
      const decided = await owner['/approvals'].post(`/approvals/${task?.id}/decision`, {
        decision: 'approve',
      });
      if (decided.status !== 200) throw new Error(`could not approve: ${decided.text}`);
    }
    await inboxHolding('/fulfilments', approved);
    expected['/approvals'] = filed.slice(3);
    expected['/fulfilments'] = approved;
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  it.each<Path>(['/approvals', '/fulfilments'])(
    '%s with limit=2 answers every task exactly once, soonest deadline first, on full pages that end with next null',
    async (path) => {
      // Act
      const { items, pages } = await pageThrough<InboxItem>(owner[path], path, { limit: '2' });

      // Assess
      const ticketIds = items.map((item) => item.ticket.id);
      expect([...ticketIds].sort()).toEqual([...expected[path]].sort());
      expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
      const deadlines = items.map((item) => item.deadline);
      expect(deadlines).toEqual([...deadlines].sort());
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.slice(0, -1).every((page) => page.items.length === 2 && page.next !== null)).toBe(true);
      expect(pages.at(-1)?.next).toBeNull();
    },
  );

  it.each<Path>(['/approvals', '/fulfilments'])(
    '%s without a limit answers the whole inbox on one page, as the default of 25 holds it',
    async (path) => {
      // Act
      const response = await owner[path].get<Inbox>(path);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body.items.map((item) => item.ticket.id).sort()).toEqual([...expected[path]].sort());
      expect(response.body.next).toBeNull();
    },
  );

  describe('refuses a cursor it did not issue for this list', () => {
    const cursors: Record<string, string> = {};

    beforeAll(async () => {
      for (const path of ['/approvals', '/fulfilments'] as const) {
        const first = await owner[path].get<Inbox>(`${path}?limit=1`);
        if (!first.body.next) throw new Error(`expected a second page of ${path}`);
        cursors[path] = first.body.next;
      }
      const requests = await owner['/approvals'].get<Inbox>('/requests?limit=1');
      if (!requests.body.next) throw new Error('expected a second page of /requests');
      cursors['/requests'] = requests.body.next;
    });

    const tamper = (valid: string) => `${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`;
    const cases: [string, Path, () => string][] = [
      ['garbage', '/approvals', () => 'not-a-cursor'],
      ['a changed signature', '/approvals', () => tamper(cursors['/approvals'] ?? '')],
      ['a cursor of GET /requests', '/approvals', () => cursors['/requests'] ?? ''],
      ['a cursor of GET /fulfilments', '/approvals', () => cursors['/fulfilments'] ?? ''],
      ['a cursor of GET /approvals', '/fulfilments', () => cursors['/approvals'] ?? ''],
    ];

    it.each(cases)('answers 400 naming the cursor for %s on %s', async (_kind, path, cursor) => {
      // Act
      const response = await owner[path].get<ErrorBody>(
        `${path}?limit=1&cursor=${encodeURIComponent(cursor())}`,
      );

      // Assess
      expect(response.status, response.text).toBe(400);
      expect(Object.keys(response.body.error.fields ?? {})).toEqual(['cursor']);
    });

    it('answers 400 naming the cursor for a cursor of GET /approvals on GET /requests', async () => {
      // Act
      const response = await owner['/approvals'].get<ErrorBody>(
        `/requests?limit=1&cursor=${encodeURIComponent(cursors['/approvals'] ?? '')}`,
      );

      // Assess
      expect(response.status, response.text).toBe(400);
      expect(Object.keys(response.body.error.fields ?? {})).toEqual(['cursor']);
    });
  });

  it.each([
    ['/approvals', 'limit=0', 'limit'],
    ['/approvals', 'limit=101', 'limit'],
    ['/fulfilments', 'limit=ten', 'limit'],
    ['/fulfilments', 'status=open', 'status'],
  ])('%s answers 400 naming the parameter for %s', async (path, query, field) => {
    // Act
    const response = await owner[path as Path].get<ErrorBody>(`${path}?${query}`);

    // Assess
    expect(response.status, response.text).toBe(400);
    expect(Object.keys(response.body.error.fields ?? {})).toEqual([field]);
  });
});
