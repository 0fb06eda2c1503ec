import { describe, expect, it } from 'vitest';
import {
  type ExportJob,
  type ExportStepDeps,
  exportPage,
  readExport,
} from '../../../functions/app/audit-exports';
import type { ExportFiles, HistoryCursor } from '../../../functions/app/ports';
import { csvHeader, exportRows, formatRows } from '../../../functions/domain/audit/export-rows';
import type { Ticket } from '../../../functions/domain/ticket';
import { person } from '../domain/fixtures';
import { ticket } from '../domain/tickets';
import { jobStore } from './job-store';

const NOW = new Date('2026-06-30T12:00:00.000Z');

const closedTickets: Ticket[] = ['01', '02', '03'].map((n) =>
  ticket({ id: `01J00000000000000000000${n}`, status: 'closed', closure: 'cancelled' }),
);

/** Export files kept in memory: whole files, and multipart uploads by id. */
function memoryFiles() {
  const files = new Map<string, Buffer>();
  const uploads = new Map<string, Map<number, Buffer>>();
  const calls: string[] = [];
  const store: Omit<ExportFiles, 'link'> = {
    put: async (key, body) => {
      calls.push(`put ${key}`);
      files.set(key, Buffer.from(body));
    },
    begin: async (key) => {
      calls.push(`begin ${key}`);
      uploads.set('U1', new Map());
      return 'U1';
    },
    part: async (_key, uploadId, number, body) => {
      calls.push(`part ${number}`);
      uploads.get(uploadId)?.set(number, Buffer.from(body));
      return `"etag-${number}"`;
    },
    complete: async (key, uploadId, parts) => {
      calls.push(`complete ${parts.map((part) => `${part.number}=${part.etag}`).join(',')}`);
      const written = uploads.get(uploadId) as Map<number, Buffer>;
      files.set(key, Buffer.concat(parts.map((part) => written.get(part.number) as Buffer)));
    },
  };
  return { files, calls, store };
}

/** The tickets one at a time, as history pages them, all listed under their current status. */
const historyOf = (tickets: Ticket[]): ExportStepDeps['history'] => ({
  count: async () => tickets.length,
  wholePage: async (_period, cursor: HistoryCursor | null) => {
    const index = cursor ? Number(cursor.after) : 0;
    const found = tickets[index] as Ticket;
    return {
      entries: [{ id: found.id, listedAs: found.status, ticket: found }],
      next: index + 1 < tickets.length ? { partition: 0, after: String(index + 1) } : null,
    };
  },
});

async function exportJob(partBytes: number) {
  const jobs = jobStore();
  const files = memoryFiles();
  const job: ExportJob = {
    id: 'J',
    kind: 'audit_export',
    status: 'queued',
    createdBy: 'aude@x.com',
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    params: { from: '2026-01-01T00:00:00.000Z', to: NOW.toISOString(), format: 'csv', key: 'exports/J.csv' },
    progress: { done: 0, total: null },
    steps: 0,
    cursor: null,
    result: null,
    error: null,
  };
  await jobs.create(job);
  const deps: ExportStepDeps = {
    clock: { now: () => NOW },
    jobs,
    history: historyOf(closedTickets),
    directory: { catalog: async () => [] },
    exportFiles: files.store,
    faults: { faultPoint: () => undefined },
    settings: { simulationPageSize: 1, exportPartBytes: partBytes },
  };
  return { jobs, files, deps };
}

const expectedFile = () =>
  csvHeader() +
  formatRows(
    closedTickets.flatMap((each) => exportRows(each, null)),
    'csv',
  );

describe('an audit export step', () => {
  it('writes a file that fits in one part whole, in one step, and marks the job done', async () => {
    // Prepare
    const { jobs, files, deps } = await exportJob(5 * 1024 * 1024);

    // Act
    const step = await exportPage(deps, 'J');

    // Assess
    expect(step).toMatchObject({ done: true, progress: { done: 3, total: 3 } });
    expect(files.calls).toEqual(['put exports/J.csv']);
    expect(files.files.get('exports/J.csv')?.toString()).toBe(expectedFile());
    expect(jobs.jobs.get('J')).toMatchObject({
      status: 'done',
      cursor: null,
      result: { rows: 3, bytes: Buffer.byteLength(expectedFile()) },
    });
  });

  it('writes a larger file as numbered parts, one a step, carrying the upload on the job, and completes it at the end', async () => {
    // Prepare: every page makes a part
    const { jobs, files, deps } = await exportJob(1);

    // Act
    const steps = [];
    for (let done = false; !done; ) {
      const step = await exportPage(deps, 'J');
      steps.push(step);
      done = step.done;
      if (!done) expect(jobs.jobs.get('J')?.cursor).toMatchObject({ upload: { id: 'U1' } });
    }

    // Assess
    expect(steps).toHaveLength(3);
    expect(files.calls).toEqual([
      'begin exports/J.csv',
      'part 1',
      'part 2',
      'part 3',
      'complete 1="etag-1",2="etag-2",3="etag-3"',
    ]);
    expect(files.files.get('exports/J.csv')?.toString()).toBe(expectedFile());
    expect(jobs.jobs.get('J')).toMatchObject({ status: 'done', progress: { done: 3, total: 3 } });
  });

  it('writes nothing more for a job that is done', async () => {
    // Prepare
    const { files, deps } = await exportJob(5 * 1024 * 1024);
    await exportPage(deps, 'J');

    // Act
    const again = await exportPage(deps, 'J');

    // Assess
    expect(again.done).toBe(true);
    expect(files.calls).toEqual(['put exports/J.csv']);
  });
});

describe('reading an export', () => {
  const signing = {
    link: async (key: string, name: string, seconds: number) => `https://s3/${key}?as=${name}&for=${seconds}`,
  };

  it('signs a five-minute link to the file once the job is done, named after the period', async () => {
    // Prepare
    const { jobs, deps } = await exportJob(5 * 1024 * 1024);
    await exportPage(deps, 'J');

    // Act
    const view = await readExport(
      { clock: deps.clock, jobs, exportFiles: signing },
      person('aude@x.com', { roles: ['auditor'] }),
      'J',
    );

    // Assess
    expect(view).toMatchObject({
      status: 'done',
      format: 'csv',
      result: {
        rows: 3,
        url: 'https://s3/exports/J.csv?as=tollgate-audit-2026-01-01-2026-06-30.csv&for=300',
        expiresAt: '2026-06-30T12:05:00.000Z',
      },
    });
  });

  it('shows no link while the job runs', async () => {
    // Prepare
    const { jobs, deps } = await exportJob(5 * 1024 * 1024);

    // Act
    const view = await readExport(
      { clock: deps.clock, jobs, exportFiles: signing },
      person('sara@x.com', { roles: ['security'] }),
      'J',
    );

    // Assess
    expect(view).toMatchObject({ status: 'queued', result: null });
  });

  it('refuses anyone but auditors and security, an admin too', async () => {
    // Prepare
    const { jobs, deps } = await exportJob(5 * 1024 * 1024);

    // Act
    const reading = readExport(
      { clock: deps.clock, jobs, exportFiles: signing },
      person('ivan@x.com', { roles: ['admin'] }),
      'J',
    );

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'ForbiddenError' });
  });
});
