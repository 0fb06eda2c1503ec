import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3/client';
import { S3ExportFiles } from '../../functions/adapters/s3/export-files';
import { type ExportView, MIN_PART_BYTES } from '../../functions/app/audit-exports';
import {
  csvHeader,
  type ExportRow,
  exportColumns,
  exportRowSchema,
} from '../../functions/domain/audit/export-rows';
import { LOCAL_EXPORTS_BUCKET } from '../../functions/local/s3';
import { accessBody } from '../support/bodies';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, services } from '../support/seed';
import { type Ticket, TollgateClient } from '../support/workflow-client';

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

/** The cells of one CSV line as a spreadsheet reads them (every cell is quoted). */
function csvCells(line: string): string[] {
  return [...line.matchAll(/"((?:[^"]|"")*)"/g)].map(([, cell]) => (cell ?? '').replaceAll('""', '"'));
}

describe('audit exports, through the local server', () => {
  let tollgate: TestRuntime;
  let client: TollgateClient;
  let from: string;
  let to: string;
  const tickets = {} as Record<'granted' | 'denied' | 'autoApproved' | 'forServiceAccount', Ticket>;

  beforeAll(async () => {
    // Two tickets a page, so an export reads history over several pages.
    tollgate = await startTestRuntime({ SIMULATION_PAGE_SIZE: '2' });
    client = new TollgateClient(tollgate.url);
    from = new Date(Date.now() - 1000).toISOString();
    tickets.granted = await client.grantThrough(people.alex, people.erin, people.ian, accessBody());
    const denied = await client.call<{ id: string }>(people.alex, 'POST', '/requests', accessBody());
    await client.submitLink(await client.linkFor(people.erin, denied.body.id, 'Approval needed'), {
      decision: 'deny',
      comment: '=HYPERLINK("http://evil.example")',
    });
    tickets.denied = await client.ticketWhen(people.alex, denied.body.id, (t) => t.status === 'closed');
    const auto = await client.call<Ticket>(people.ivan, 'POST', '/requests', accessBody());
    tickets.autoApproved = auto.body;
    const forService = await client.call<Ticket>(
      people.felix,
      'POST',
      '/requests',
      accessBody({ beneficiary: services.billingExport, system: 'payroll', entitlement: 'payroll-read' }),
    );
    tickets.forServiceAccount = forService.body;
    to = new Date(Date.now() + 1000).toISOString();
  }, 120_000);

  afterAll(async () => {
    await tollgate?.close();
  });

  /** Starts an export as the auditor and waits for it to end; answers the job and its file. */
  async function exportAs(format: 'csv' | 'jsonl', period = { from, to }) {
    const started = await client.call<{ id: string }>(people.aude, 'POST', '/audit/exports', {
      ...period,
      format,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const job = await client.call<ExportView>(people.aude, 'GET', `/audit/exports/${started.body.id}`);
      expect(job.status).toBe(200);
      if (job.body.status === 'failed') throw new Error(`The export failed: ${JSON.stringify(job.body)}`);
      if (job.body.status === 'done') {
        const file = await fetch(job.body.result?.url ?? '');
        expect(file.status).toBe(200);
        // Read as bytes: fetch's text() drops the byte-order mark that spreadsheets read.
        const bytes = Buffer.from(await file.arrayBuffer());
        return { job: job.body, file: bytes.toString('utf8') };
      }
      if (Date.now() > deadline) throw new Error(`The export did not finish: ${JSON.stringify(job.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('writes a CSV file with a header and a row per decision or undecided ticket, behind a short-lived link', async () => {
    // Act
    const { job, file } = await exportAs('csv');

    // Assess
    const [header, ...lines] = file.split('\r\n');
    expect(`${header}\r\n`).toBe(csvHeader());
    const rows = lines
      .filter((line) => line !== '')
      .map((line) => {
        const columns = csvCells(csvHeader().slice(1));
        return Object.fromEntries(csvCells(line).map((cell, index) => [columns[index], cell]));
      });
    expect(rows).toHaveLength(4);
    expect(job.progress).toEqual({ done: 4, total: 4 });
    expect(job.result).toMatchObject({ rows: 4, bytes: Buffer.byteLength(file) });
    expect(new Date(job.result?.expiresAt ?? 0).getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    const byTicket = new Map(rows.map((row) => [row.ticketId, row]));
    expect(byTicket.get(tickets.granted.id)).toMatchObject({
      row: 'decision',
      requester: people.alex,
      approver: people.erin,
      approverDecision: 'approve',
      channel: 'link',
      fulfiller: people.ian,
      grantId: tickets.granted.grant?.id,
      grantStart: tickets.granted.grant?.from,
      chainStatus: 'intact',
    });
    // The denial's comment is a formula: the cell shows it as text.
    expect(byTicket.get(tickets.denied.id)).toMatchObject({
      approverDecision: 'deny',
      approverComment: `'=HYPERLINK("http://evil.example")`,
      closure: 'rejected',
    });
  });

  it('writes JSONL rows that the published schema parses and that match the tickets', async () => {
    // Act
    const { file } = await exportAs('jsonl');

    // Assess
    const rows: ExportRow[] = file
      .trimEnd()
      .split('\n')
      .map((line) => exportRowSchema.strict().parse(JSON.parse(line)));
    const byTicket = new Map(rows.map((row) => [row.ticketId, row]));
    expect([...byTicket.keys()].sort()).toEqual(
      Object.values(tickets)
        .map((ticket) => ticket.id)
        .sort(),
    );
    expect(byTicket.get(tickets.autoApproved.id)).toMatchObject({
      row: 'ticket',
      policyOutcome: 'auto_approved',
      approver: null,
      entitlementClass: 'read',
    });
    expect(byTicket.get(tickets.forServiceAccount.id)).toMatchObject({
      requester: people.felix,
      beneficiary: services.billingExport,
      beneficiaryOwner: people.felix,
      system: 'payroll',
    });
    expect(byTicket.get(tickets.denied.id)?.approverComment).toBe('=HYPERLINK("http://evil.example")');
  });

  it('publishes the row schema in the OpenAPI document, every column a property', async () => {
    // Act
    const document = await client.call<{
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>(people.aude, 'GET', '/openapi.json');

    // Assess
    expect(Object.keys(document.body.components.schemas.AuditExportRow?.properties ?? {})).toEqual(
      exportColumns,
    );
  });

  it('completes an export of an empty period with only the header', async () => {
    // Act
    const { job, file } = await exportAs('csv', {
      from: '2020-01-01T00:00:00Z',
      to: '2020-01-02T00:00:00Z',
    });

    // Assess
    expect(file).toBe(csvHeader());
    expect(job.result).toMatchObject({ rows: 0 });
  });

  it('joins a multipart file from parts of 5 MiB and a last smaller one, as the local S3 checks them', async () => {
    // Prepare: the handlers' settings, which the runtime put in this process's environment
    const files = new S3ExportFiles(createS3Client(), LOCAL_EXPORTS_BUCKET);
    const first = Buffer.alloc(MIN_PART_BYTES, 'a');
    const last = Buffer.from('the end\n');
    const uploadId = await files.begin('exports/multipart.jsonl');
    const parts = [
      { number: 1, etag: await files.part('exports/multipart.jsonl', uploadId, 1, first) },
      { number: 2, etag: await files.part('exports/multipart.jsonl', uploadId, 2, last) },
    ];

    // Act
    await files.complete('exports/multipart.jsonl', uploadId, parts);
    await files.complete('exports/multipart.jsonl', uploadId, parts);

    // Assess: a repeated completion (a retried step) is done too
    const file = await fetch(await files.link('exports/multipart.jsonl', 'multipart.jsonl', 60));
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.length).toBe(first.length + last.length);
    expect(bytes.subarray(-last.length).toString()).toBe('the end\n');
  });

  it('refuses a requester with a 403', async () => {
    // Act
    const refused = await client.call<ErrorBody>(people.alex, 'POST', '/audit/exports', {
      from,
      to,
      format: 'csv',
    });

    // Assess
    expect(refused.status).toBe(403);
  });

  it('answers 400 naming the field for a period that ends before it starts, or an unknown format', async () => {
    // Act
    const backwards = await client.call<ErrorBody>(people.aude, 'POST', '/audit/exports', {
      from: to,
      to: from,
      format: 'csv',
    });
    const xlsx = await client.call<ErrorBody>(people.aude, 'POST', '/audit/exports', {
      from,
      to,
      format: 'xlsx',
    });

    // Assess
    expect(backwards.status).toBe(400);
    expect(Object.keys(backwards.body.error.fields ?? {})).toEqual(['from']);
    expect(xlsx.status).toBe(400);
    expect(Object.keys(xlsx.body.error.fields ?? {})).toEqual(['format']);
  });
});
