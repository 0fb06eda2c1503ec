import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../../functions/domain/ticket';
import { ConsoleSession } from '../support/console-session';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { eventually } from '../support/workflow-client';

// One runtime for the file: the handlers build their deps once per process.
let tollgate: TestRuntime;
let filed: Ticket;

beforeAll(async () => {
  tollgate = await startTestRuntime();
  const alex = await tollgate.as(people.alex);
  const response = await alex.post<Ticket>('/requests', {
    type: 'access',
    system: 'github',
    entitlement: 'github-write',
    justification: 'Push the release branch for the audit test',
  });
  if (response.status !== 201) throw new Error(`intake answered ${response.status}: ${response.text}`);
  filed = response.body;
});

afterAll(async () => {
  await tollgate?.close();
});

const signedIn = (identity: string) => ConsoleSession.signedIn(tollgate.url, identity);

describe("the auditor's pages", () => {
  it('find a ticket by its number and open its whole record: decision, policy, inputs and an intact chain', async () => {
    // Prepare
    const aude = await signedIn(people.aude);

    // Act
    const search = await aude.page(`/console/audit?number=${filed.number}`);
    const record = await aude.page(`/console/audit/requests/${filed.id}`);

    // Assess
    expect(search.status).toBe(200);
    expect(search.text).toContain(`href="/console/audit/requests/${filed.id}">${filed.number}</a>`);
    expect(record.status).toBe(200);
    expect(record.text).toContain(`${filed.number}: the record`);
    expect(record.text).toContain(filed.decision?.version ?? 'no version');
    for (const policy of filed.decision?.policyIds ?? []) expect(record.text).toContain(policy);
    expect(record.text).toMatch(/Every event's hash and link holds \(\d+ events\)/);
    // The snapshot of what Cedar saw, named by the hash the decision records.
    expect(record.text).toContain(filed.decision?.inputs ?? 'no inputs');
    expect(record.text).toContain('Push the release branch for the audit test');
  });

  it('show the search form again with the API message for a field it refuses', async () => {
    // Prepare
    const aude = await signedIn(people.aude);

    // Act
    const search = await aude.page('/console/audit?number=TG-x&from=yesterday');

    // Assess
    expect(search.status).toBe(400);
    expect(search.text).toContain('id="number-error">must be a ticket number: TG-1042 or 1042</p>');
    expect(search.text).toContain('id="from-error">must be an ISO 8601 date');
    expect(search.text).toContain('value="TG-x"');
  });

  it('list tickets by requester and system, newest first, with a link to each record', async () => {
    // Prepare
    const aude = await signedIn(people.aude);

    // Act
    const byAlex = await aude.page(
      `/console/audit?requester=${encodeURIComponent(people.alex)}&system=github`,
    );
    const byBo = await aude.page(`/console/audit?requester=${encodeURIComponent(people.bo)}`);

    // Assess
    expect(byAlex.text).toContain(filed.number);
    expect(byBo.text).toContain('No ticket matches.');
  });

  it('show the latest verification once the schedule has run, and the chain as it judged it', async () => {
    // Prepare
    const aude = await signedIn(people.aude);
    const before = await aude.page('/console/audit');
    await fetch(`${tollgate.url}/dev/schedules/audit-checkpoint/run`, { method: 'POST' });
    await fetch(`${tollgate.url}/dev/schedules/audit-verify/run`, { method: 'POST' });

    // Act
    const after = await aude.page('/console/audit');
    const record = await aude.page(`/console/audit/requests/${filed.id}`);

    // Assess
    expect(before.text).toContain('No verification has run yet');
    expect(after.text).toContain('Intact: no history was changed.');
    expect(record.text).toMatch(/At the verification of <time[^>]*>[^<]*<\/time>: <strong>intact<\/strong>/);
  });

  it('start an export of a period and follow it to a download of the CSV', async () => {
    // Prepare
    const aude = await signedIn(people.aude);
    const today = new Date().toISOString().slice(0, 10);
    const csrf = await aude.csrf('/console/audit');

    // Act
    const started = await aude.request(`${tollgate.url}/console/audit/exports`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, from: today, to: today, format: 'csv' }),
    });
    const location = started.headers.get('location') ?? '';
    const done = await eventually(async () => {
      const shown = await aude.page(location);
      return shown.text.includes('>Download</a>') ? shown.text : undefined;
    });
    const link = /<a class="button" href="([^"]+)">Download<\/a>/.exec(done)?.[1] ?? '';
    // The page escapes the link's ampersands as every attribute value is escaped.
    const file = await (
      await fetch(link.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))))
    ).text();

    // Assess
    expect(started.status).toBe(303);
    expect(location).toMatch(/^\/console\/audit\/exports\/\w+$/);
    expect(file).toContain(filed.number);
  });

  it('refuse an export form with the API message for its period', async () => {
    // Prepare
    const aude = await signedIn(people.aude);
    const csrf = await aude.csrf('/console/audit');

    // Act
    const refused = await aude.request(`${tollgate.url}/console/audit/exports`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, from: '2026-12-05', to: '2026-12-01', format: 'csv' }),
    });
    const text = await refused.text();

    // Assess
    expect(refused.status).toBe(400);
    expect(text).toMatch(/class="error" id="from-error">must be before to \(2026-12-01T23:59:59.999Z\)</);
  });

  it('are refused to a requester and to an admin, who changes what is audited', async () => {
    // Prepare
    const alex = await signedIn(people.alex);
    const ivan = await signedIn(people.ivan);

    // Act
    const asAlex = await alex.page('/console/audit');
    const recordAsAlex = await alex.page(`/console/audit/requests/${filed.id}`);
    const asIvan = await ivan.page('/console/audit');

    // Assess
    expect(asAlex.status).toBe(403);
    expect(recordAsAlex.status).toBe(403);
    expect(asIvan.status).toBe(403);
    expect(asAlex.text).not.toContain(filed.number);
  });
});
