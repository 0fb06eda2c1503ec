import { z } from 'zod';
import {
  csvHeader,
  type ExportFormat,
  type ExportRow,
  exportFormats,
  exportRows,
  formatRows,
} from '../domain/audit/export-rows';
import type { Identity, System } from '../domain/directory';
import { parseOrThrow } from '../domain/validation';
import {
  applyStep,
  type JobStep,
  jobDateTime,
  jobViewOf,
  newJob,
  periodOf,
  readJob,
  startJob,
  stepOf,
} from './jobs';
import type {
  Clock,
  Directory,
  ExportFiles,
  Faults,
  HistoryCursor,
  Ids,
  Job,
  JobRunner,
  JobStore,
  TicketHistory,
} from './ports';
import { AUDITORS, assertAnyRole } from './roles';

/**
 * How long a download link works: enough to start the download, short enough that a link pasted
 * somewhere is soon useless. GET the job again for a fresh one.
 */
export const EXPORT_LINK_SECONDS = 300;

/**
 * The least a multipart part may hold but the last (S3's rule): a step reads pages of history until
 * its part holds this much, so memory stays at about one part whatever the period's size.
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** Where export files are kept in their bucket: what export handlers may write and read, and no more. */
export const EXPORT_FILES_PREFIX = 'exports/';

export const exportRequestSchema = z
  .strictObject({
    from: jobDateTime.meta({ description: 'Tickets submitted from then' }),
    to: jobDateTime.meta({ description: 'Tickets submitted until then; never later than now' }),
    format: z.enum(exportFormats).meta({
      description:
        '`csv`: one header line, then a line per row (formula-like cells prefixed with a quote); `jsonl`: one AuditExportRow object per line',
    }),
  })
  .meta({ id: 'AuditExportRequest', description: 'The period of submission to export, and the format' });

export interface ExportParams {
  from: string;
  to: string;
  format: ExportFormat;
  /** The object key of the file in the exports bucket. */
  key: string;
}

/** Where the next step starts: in history, and in the multipart upload once one has begun. */
export interface ExportCursor {
  history: HistoryCursor | null;
  upload: { id: string; parts: { number: number; etag: string }[] } | null;
  rows: number;
  bytes: number;
}

export interface ExportResult {
  rows: number;
  bytes: number;
}

export type ExportJob = Job<ExportParams, ExportCursor, ExportResult>;

export interface ExportView extends ReturnType<typeof jobViewOf> {
  from: string;
  to: string;
  format: ExportFormat;
  /** Once done: the rows and bytes written, and a link to download the file. */
  result: (ExportResult & { url: string; expiresAt: string }) | null;
}

const assertAuditor = (caller: Identity) => assertAnyRole(caller, AUDITORS, 'export the audit trail');

const readExportJob = (jobs: JobStore, id: string) => readJob<ExportJob>(jobs, id, 'audit_export', 'export');

/**
 * Primary course: write the job and start the execution that writes the file, page by page. No
 * period cap: every step is bounded (about one part), so a long period only makes more steps.
 */
export async function startExport(
  deps: { clock: Clock; ids: Ids; jobs: JobStore; exports: JobRunner },
  caller: Identity,
  body: unknown,
): Promise<{ id: string }> {
  assertAuditor(caller);
  const request = parseOrThrow(exportRequestSchema, body, 'request');
  const now = deps.clock.now();
  const period = periodOf(request, now, 0);
  const id = deps.ids.jobId();
  const params: ExportParams = {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    format: request.format,
    key: `${EXPORT_FILES_PREFIX}${id}.${request.format}`,
  };
  return startJob(
    deps,
    deps.exports,
    newJob(id, 'audit_export', caller, now.toISOString(), params),
    'export',
  );
}

/** Primary course: the job as it stands and, once done, a fresh short-lived link to its file. */
export async function readExport(
  deps: { clock: Clock; jobs: JobStore; exportFiles: Pick<ExportFiles, 'link'> },
  caller: Identity,
  id: string,
): Promise<ExportView> {
  assertAuditor(caller);
  const job = await readExportJob(deps.jobs, id);
  const { from, to, format, key } = job.params;
  const result =
    job.status === 'done' && job.result
      ? {
          ...job.result,
          url: await deps.exportFiles.link(key, fileName(job.params), EXPORT_LINK_SECONDS),
          expiresAt: new Date(deps.clock.now().getTime() + EXPORT_LINK_SECONDS * 1000).toISOString(),
        }
      : null;
  return { ...jobViewOf(job), from, to, format, result };
}

const fileName = ({ from, to, format }: ExportParams) =>
  `tollgate-audit-${from.slice(0, 10)}-${to.slice(0, 10)}.${format}`;

export interface ExportStepDeps {
  clock: Clock;
  jobs: JobStore;
  history: Pick<TicketHistory, 'count' | 'wholePage'>;
  directory: Pick<Directory, 'catalog'>;
  exportFiles: Omit<ExportFiles, 'link'>;
  faults: Faults;
  settings: { simulationPageSize: number; exportPartBytes?: number };
}

/**
 * Primary course: the rows of the next pages of the period's tickets, until they make a part (or
 * history ends), written to S3 and recorded on the job with the next cursor in one conditional
 * write. A part's number follows from the cursor, so a retried step writes the same part again
 * rather than another. A file that fits in one part is written whole; the step that reaches the
 * end of history completes the upload and marks the job done.
 */
export async function exportPage(deps: ExportStepDeps, jobId: string): Promise<JobStep<ExportCursor>> {
  const job = await readExportJob(deps.jobs, jobId);
  if (job.status === 'done' || job.status === 'failed') return stepOf(job);
  const { params } = job;
  const period = { from: new Date(params.from), to: new Date(params.to) };
  const first = job.cursor === null;
  const total = first ? await deps.history.count(period) : job.progress.total;
  const classes = classesOf(await deps.directory.catalog());
  const partBytes = deps.settings.exportPartBytes ?? MIN_PART_BYTES;

  const chunks: Buffer[] = first && params.format === 'csv' ? [Buffer.from(csvHeader())] : [];
  let size = chunks[0]?.length ?? 0;
  let rows = 0;
  let read = 0;
  let history = job.cursor?.history ?? null;
  do {
    const page = await deps.history.wholePage(period, history, deps.settings.simulationPageSize);
    // Index entries whose ticket is gone or has moved on are left to the partition it is in now.
    const current = page.entries.flatMap((entry) =>
      entry.ticket?.status === entry.listedAs ? [entry.ticket] : [],
    );
    const lines = current.flatMap((ticket) =>
      exportRows(ticket, classes.get(`${ticket.system}/${ticket.entitlement}`) ?? null),
    );
    const chunk = Buffer.from(formatRows(lines, params.format));
    chunks.push(chunk);
    size += chunk.length;
    rows += lines.length;
    read += current.length;
    history = page.next;
  } while (history !== null && size < partBytes);
  const finished = history === null;
  const body = Buffer.concat(chunks, size);

  const before = job.cursor ?? { history: null, upload: null, rows: 0, bytes: 0 };
  let upload = before.upload;
  if (finished && !upload) {
    await deps.exportFiles.put(params.key, body);
  } else {
    upload ??= { id: await deps.exportFiles.begin(params.key), parts: [] };
    const number = upload.parts.length + 1;
    const etag = await deps.exportFiles.part(params.key, upload.id, number, body);
    upload = { id: upload.id, parts: [...upload.parts, { number, etag }] };
    if (finished) await deps.exportFiles.complete(params.key, upload.id, upload.parts);
  }

  const cursor: ExportCursor = {
    history,
    upload,
    rows: before.rows + rows,
    bytes: before.bytes + size,
  };
  const step = {
    status: finished ? ('done' as const) : ('running' as const),
    progress: { done: job.progress.done + read, total },
    cursor: finished ? null : cursor,
    result: finished ? { rows: cursor.rows, bytes: cursor.bytes } : null,
    updatedAt: deps.clock.now().toISOString(),
  };
  return applyStep(deps, job, step, 'export-page-written');
}

/** The class of each entitlement in the catalog, by `{system}/{entitlement}`. */
function classesOf(catalog: readonly System[]): Map<string, ExportRow['entitlementClass']> {
  return new Map(
    catalog.flatMap((system) =>
      system.entitlements.map(
        (entitlement) => [`${system.id}/${entitlement.id}`, entitlement.class] as const,
      ),
    ),
  );
}
