import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAnalyticsStore } from '../../functions/adapters/dynamodb/analytics-store';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import type { StoredReport } from '../../functions/app/ports';
import type { AnalyticsReport } from '../../functions/domain/analytics/report';
import type { DayRollup } from '../../functions/domain/analytics/rollup';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import { accessBody } from '../support/bodies';
import { people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

/**
 * GET /analytics, GET /analytics/reports and the two schedules against the local system: a few
 * tickets filed and played through today, then read back as figures.
 */
const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/** `npm run analytics` as a child process; answers its exit code and output. */
async function analyticsCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bin/analytics.ts', ...args], {
      cwd: root,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('analytics through the API', () => {
  let tollgate: TollgateProcess;
  let client: TollgateClient;
  let store: DynamoAnalyticsStore;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    tollgate = await startTollgate({ env: { ANALYTICS_RECIPIENTS: people.aude } });
    client = new TollgateClient(tollgate.url);
    // Auto-approved: read access to a low-sensitivity system in its owner's department.
    const auto = await client.call<{ id: string }>(people.ivan, 'POST', '/requests', accessBody());
    await client.ticketWhen(people.ivan, auto.body.id, (ticket) => ticket.status === 'fulfilling');
    await client.grantThrough(
      people.alex,
      people.erin,
      people.ian,
      accessBody({ system: 'github', entitlement: 'github-write' }),
    );
    const { dynamodb } = await client.endpoints();
    store = new DynamoAnalyticsStore(
      createDocumentClient(
        new DynamoDBClient({
          endpoint: dynamodb,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      ),
      LOCAL_TABLE_NAME,
    );
  }, 90_000);

  afterAll(async () => {
    await tollgate?.stop();
    if (tollgate) removeDataDir(tollgate.dataDir);
  });

  async function rollupsOfToday(): Promise<DayRollup[]> {
    const found: DayRollup[] = [];
    for await (const rollup of store.rollups(today, today)) found.push(rollup);
    return found;
  }

  it("answers today's figures, this morning's tickets included, to an auditor", async () => {
    // Act
    const { status, body } = await client.call<AnalyticsReport>(
      people.aude,
      'GET',
      `/analytics?from=${today}&to=${today}`,
    );

    // Assess
    expect(status).toBe(200);
    expect(body.period).toEqual({ from: today, to: today, days: 1 });
    expect(body.volume.total).toBe(2);
    expect(body.volume.bySystem.map((tally) => tally.key).sort()).toEqual(['github', 'wiki']);
    expect(body.rates.resolved).toBe(1);
    expect(body.approvalLatency.byApprover).toMatchObject([{ key: people.erin, approved: 1, denied: 0 }]);
  });

  it('keeps one rollup per day, however often the day is rolled up', async () => {
    // Act
    await client.call(people.aude, 'GET', `/analytics?from=${today}&to=${today}`);
    await client.call(people.sam, 'GET', `/analytics?from=${today}&to=${today}`);

    // Assess
    const rollups = await rollupsOfToday();
    expect(rollups).toHaveLength(1);
    expect(rollups[0]?.submitted.total).toBe(2);
  });

  it('answers 400 naming the field for a period that ends before it starts', async () => {
    // Act
    const { status, body } = await client.call<{ error: { fields: Record<string, string> } }>(
      people.aude,
      'GET',
      '/analytics?from=2026-11-30&to=2026-11-01',
    );

    // Assess
    expect(status).toBe(400);
    expect(Object.keys(body.error.fields)).toEqual(['from']);
  });

  it('stores the weekly report, lists it, and emails it to the configured recipients', async () => {
    // Act
    const result = await client.runSchedule<{ id: string; sentTo: number }>('weekly-report');
    const listed = await client.call<{ items: StoredReport[] }>(people.sara, 'GET', '/analytics/reports');

    // Assess
    expect(result.sentTo).toBe(1);
    expect(listed.body.items.map((stored) => stored.id)).toEqual([result.id]);
    const [stored] = listed.body.items;
    expect(stored?.report.period).toMatchObject({ to: today, days: 7 });
    expect(stored?.report.volume.total).toBe(2);
    const mail = (await client.outbox()).find((message) =>
      message.subject.startsWith('Tollgate weekly report'),
    );
    expect(mail?.to).toContain(people.aude);
    // Drawn, not dumped: each chart a PNG the HTML shows by its Content-ID, the figures in the text part.
    const charts = mail?.attachments ?? [];
    expect(charts.map((chart) => chart.contentType)).toEqual(Array(5).fill('image/png'));
    // The outbox reads mail as a client does (mailparser): each cid: image its part's data, inline.
    expect(charts.every((chart) => chart.cid?.endsWith('@tollgate'))).toBe(true);
    expect(mail?.html.match(/src="data:image\/png;base64,/g)).toHaveLength(5);
    // The mail's figures are the stored report's, as the outbox parses them back (mailparser).
    const figures = stored?.report;
    expect(mail?.text).toContain(`Submitted: ${figures?.volume.total} tickets`);
    expect(mail?.text).toContain(`Resolved: ${figures?.rates.resolved} tickets`);
    expect(mail?.text).toContain(`SLA breaches (resolution): ${figures?.slaBreaches.resolution}`);
  });

  it('prints the figures as tables with npm run analytics, and the API JSON with --format json', async () => {
    // Act
    const table = await analyticsCli('--url', tollgate.url);
    const json = await analyticsCli(
      '--url',
      tollgate.url,
      '--from',
      today,
      '--to',
      today,
      '--format',
      'json',
    );
    const bad = await analyticsCli('--from', 'yesterday');

    // Assess
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Key figures');
    expect(table.stdout).toMatch(/erin\.lead@example\.com\s+1\s+1\s+0/);
    expect(JSON.parse(json.stdout)).toMatchObject({
      period: { from: today, to: today },
      volume: { total: 2 },
    });
    expect(bad.code).toBe(2);
  });

  it('stores the rollup of yesterday on its nightly schedule', async () => {
    // Act
    const result = await client.runSchedule<{ day: string; submitted: number }>('analytics-rollup');

    // Assess
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(result).toMatchObject({ day: yesterday, submitted: 0 });
    const stored: DayRollup[] = [];
    for await (const rollup of store.rollups(yesterday, yesterday)) stored.push(rollup);
    expect(stored.map((rollup) => rollup.day)).toEqual([yesterday]);
  });
});

describe('the demo history of a first npm start', () => {
  let tollgate: TollgateProcess;
  let client: TollgateClient;

  beforeAll(async () => {
    tollgate = await startTollgate({ env: { TOLLGATE_DEMO_HISTORY: 'true' } });
    client = new TollgateClient(tollgate.url);
  }, 120_000);

  afterAll(async () => {
    await tollgate?.stop();
    if (tollgate) removeDataDir(tollgate.dataDir);
  });

  it("shows in the week's report a department's recurring requests, a re-request, a rubber-stamp approver and a rule candidate", async () => {
    // Act
    const { body } = await client.call<AnalyticsReport>(people.aude, 'GET', '/analytics');

    // Assess
    expect(body.signals.recurringRequests).toMatchObject([
      { department: 'Finance', entitlement: 'wiki-edit' },
    ]);
    expect(body.signals.reRequests).toContainEqual(
      expect.objectContaining({
        person: people.bo,
        system: 'aws-prod',
        entitlement: 'aws-prod-deploy',
        times: 2,
      }),
    );
    expect(body.signals.rubberStampApprovers.map((signal) => signal.approver)).toEqual([people.erin]);
    expect(body.ruleCandidates.map((candidate) => candidate.entitlement)).toContain('github-read');
  });

  it('verifies in the audit trail, every chain intact', async () => {
    // Act
    await client.runSchedule('audit-checkpoint');
    const verified = await client.runSchedule<{ ok: boolean; counts: { intact: number } }>('audit-verify');

    // Assess
    expect(verified.ok).toBe(true);
    expect(verified.counts.intact).toBeGreaterThan(100);
  });
});
