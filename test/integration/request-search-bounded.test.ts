import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMetrics } from '../../functions/local/dev-routes';
import { accessBody } from '../support/bodies';
import type { ApiClient } from '../support/client';
import { ConsoleSession } from '../support/console-session';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';

/**
 * A search whose status is checked on the tickets read (a system's tickets in a status that is not
 * open): three cancelled GitHub tickets under 120 newer ones waiting for approval. No page reads on
 * through the 120; the pages that find nothing still say where to read on, and paging finds the three.
 */
describe('a search that matches few of the tickets it reads', () => {
  let tollgate: TestRuntime;
  let auditor: ApiClient;
  const cancelled: string[] = [];
  const query = { system: 'github', status: 'closed', limit: '25' };

  const batchGets = async () =>
    ((await (await fetch(`${tollgate.url}/dev/metrics`)).json()) as LocalMetrics).dynamodb.BatchGetItem ?? 0;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    auditor = await tollgate.as(people.aude);
    const felix = await tollgate.as(people.felix);
    const write = accessBody({ system: 'github', entitlement: 'github-write' });
    for (let n = 0; n < 3; n++) {
      const created = await felix.post<{ id: string }>('/requests', write);
      await waitForTicket(felix, created.body.id, settled);
      await felix.post(`/requests/${created.body.id}/cancel`, { reason: 'No longer needed' });
      cancelled.unshift(created.body.id);
    }
    for (let n = 0; n < 120; n++) {
      const created = await felix.post('/requests', write);
      if (created.status !== 201) throw new Error(`could not file: ${created.text}`);
    }
  }, 120_000);

  afterAll(async () => {
    await tollgate?.close();
  });

  it('answers a first page with none of them, and where to read on, after reading a bounded part', async () => {
    // Prepare
    const before = await batchGets();

    // Act
    const first = await auditor.get<{ items: unknown[]; next: string | null }>(
      `/requests?${new URLSearchParams(query)}`,
    );

    // Assess
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([]);
    expect(first.body.next).toEqual(expect.any(String));
    // Four index pages of 26 entries, each read by one BatchGetItem: not the 123 tickets.
    expect((await batchGets()) - before).toBeLessThanOrEqual(4);
  });

  it('finds every one of them, newest first, by following next', async () => {
    // Act
    const { ids, pages } = await listAll(auditor, query);

    // Assess
    expect(ids).toEqual(cancelled);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.at(-1)?.next).toBeNull();
  });

  it("shows an auditor's console search that found none so far the link that reads on, until the three show", async () => {
    // Prepare
    const aude = await ConsoleSession.signedIn(tollgate.url, people.aude);
    let url = `${tollgate.url}/console/audit?${new URLSearchParams({ system: 'github', status: 'closed' })}`;
    const shown: string[] = [];
    const pages: string[] = [];

    // Act
    for (let page = 0; page < 10 && url; page++) {
      const html = await (await aude.request(url)).text();
      pages.push(html);
      shown.push(
        ...[...html.matchAll(/href="\/console\/audit\/requests\/(\w{26})"/g)].map((match) => match[1] ?? ''),
      );
      const next = /<a href="(\/console\/audit\?[^"]+)">Next page<\/a>/.exec(html)?.[1];
      url = next ? `${tollgate.url}${next.replaceAll('&#38;', '&')}` : '';
    }

    // Assess
    expect(pages[0]).toContain(
      'No ticket matches among those read so far; the next page reads on, further back.',
    );
    expect(shown).toEqual(cancelled);
    expect(url).toBe('');
  });
});
