import { z } from 'zod';
import { entitlementClasses } from '../directory';
import { closureCodes, grantEndReasons, statuses, ticketTypes } from '../lifecycle';
import type { Ticket } from '../ticket';
import { findBrokenLink } from '../timeline';

/**
 * One row of an audit export (POST /audit/exports). A ticket gives one row per decision a person
 * made on it (`row: decision`), each with the whole ticket beside it so that a spreadsheet filtered
 * to any row still reads whole; a ticket nobody decided (decided by policy alone, cancelled or
 * timed out first, a support ticket) gives one row of its own (`row: ticket`). JSONL writes each
 * row as this object; CSV writes its fields as columns, in this order. Fields are only ever added,
 * at the end: the schema is published in the OpenAPI document for parsers to rely on.
 */
export const exportRowSchema = z
  .object({
    row: z.enum(['decision', 'ticket']).meta({
      description: '`decision`: one approver’s decision on the ticket; `ticket`: a ticket no person decided',
    }),
    ticketId: z.string(),
    number: z
      .string()
      .nullable()
      .meta({ description: 'The readable number, TG-{n}; null for a ticket filed before numbers' }),
    ticketType: z.enum(ticketTypes),
    submittedAt: z.string(),
    status: z.enum(statuses).meta({ description: 'The ticket’s status when the export read it' }),
    requester: z.string(),
    beneficiary: z.string(),
    beneficiaryOwner: z
      .string()
      .nullable()
      .meta({ description: 'A service account’s owner; null for a person' }),
    system: z.string().nullable(),
    entitlement: z.string().nullable(),
    entitlementClass: z
      .enum(entitlementClasses)
      .nullable()
      .meta({ description: 'As the catalog classes it now; null when the catalog no longer lists it' }),
    justification: z.string().nullable(),
    evidence: z.array(z.string()).meta({ description: 'CSV: the items joined by `; `' }),
    stage: z.string().nullable().meta({ description: 'The approval stage of this decision' }),
    approver: z.string().nullable(),
    approverDecision: z.enum(['approve', 'deny']).nullable(),
    decidedAt: z.string().nullable(),
    approverComment: z.string().nullable(),
    channel: z
      .enum(['link', 'inbox'])
      .nullable()
      .meta({ description: 'Where the approver decided: an emailed link, or the inbox API' }),
    policyIds: z.array(z.string()).meta({ description: 'The determining policies; CSV: joined by `; `' }),
    policyVersion: z.string().nullable(),
    policyOutcome: z.enum(['approval_required', 'auto_approved', 'auto_rejected']).nullable(),
    fulfiller: z.string().nullable().meta({ description: 'Who reported the fulfilment' }),
    fulfilledAt: z.string().nullable(),
    fulfilmentResult: z.enum(['done', 'failed']).nullable(),
    grantId: z.string().nullable(),
    grantStart: z.string().nullable(),
    grantUntil: z.string().nullable().meta({ description: 'When it was to end; null for standing access' }),
    grantEndedAt: z
      .string()
      .nullable()
      .meta({ description: 'When its end was recorded; null while it holds' }),
    grantEndReason: z.enum(grantEndReasons).nullable(),
    closure: z.enum(closureCodes).nullable(),
    chainStatus: z.enum(['intact', 'broken']).meta({
      description: 'Whether every event of the ticket’s timeline still hashes and links to the one before',
    }),
    chainBrokenAt: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'The seq of the first event whose hash or link does not hold; null when intact' }),
  })
  .meta({ id: 'AuditExportRow' });
export type ExportRow = z.infer<typeof exportRowSchema>;

export const exportColumns = Object.keys(exportRowSchema.shape) as (keyof ExportRow)[];

export const exportFormats = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** The rows of one ticket, `entitlementClass` being the catalog's class of its entitlement. */
export function exportRows(ticket: Ticket, entitlementClass: ExportRow['entitlementClass']): ExportRow[] {
  const brokenAt = findBrokenLink(ticket.timeline);
  const ended = ticket.timeline.find((event) => event.type === 'grant_ended');
  const fulfilled = ticket.fulfilment?.result ? ticket.fulfilment : null;
  const common: Omit<
    ExportRow,
    'row' | 'stage' | 'approver' | 'approverDecision' | 'decidedAt' | 'approverComment' | 'channel'
  > = {
    ticketId: ticket.id,
    number: ticket.number ?? null,
    ticketType: ticket.type,
    submittedAt: ticket.createdAt,
    status: ticket.status,
    requester: ticket.requester,
    beneficiary: ticket.beneficiary,
    beneficiaryOwner: ticket.beneficiaryOwner,
    system: ticket.system,
    entitlement: ticket.entitlement,
    entitlementClass,
    justification: ticket.justification,
    evidence: ticket.evidence,
    policyIds: ticket.decision?.policyIds ?? [],
    policyVersion: ticket.decision?.version ?? null,
    policyOutcome: ticket.decision?.outcome ?? null,
    fulfiller: fulfilled?.by ?? null,
    fulfilledAt: fulfilled?.at ?? null,
    fulfilmentResult: fulfilled?.result ?? null,
    grantId: ticket.grant?.id ?? null,
    grantStart: ticket.grant?.from ?? null,
    grantUntil: ticket.grant?.until ?? null,
    grantEndedAt: ended?.at ?? null,
    grantEndReason: ended ? (ticket.revocation?.reason ?? null) : null,
    closure: ticket.closure,
    chainStatus: brokenAt === null ? 'intact' : 'broken',
    chainBrokenAt: brokenAt,
  };
  const decided = ticket.approvals.filter((approval) => approval.decision !== null);
  if (decided.length === 0) {
    return [
      {
        row: 'ticket',
        ...common,
        stage: null,
        approver: null,
        approverDecision: null,
        decidedAt: null,
        approverComment: null,
        channel: null,
      },
    ];
  }
  return decided.map((approval) => ({
    row: 'decision',
    ...common,
    stage: approval.stage,
    approver: approval.decidedBy,
    approverDecision: approval.decision,
    decidedAt: approval.at,
    approverComment: approval.comment,
    channel: approval.via,
  }));
}

/**
 * What a spreadsheet would run as a formula or control (OWASP, CSV Injection): a cell starting with
 * one of these is prefixed with a single quote, which shows it as the text it is.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: quoted always (commas, quotes and line breaks inside stay in the cell), never a formula. */
export function csvCell(value: unknown): string {
  const text =
    value === null || value === undefined ? '' : Array.isArray(value) ? value.join('; ') : String(value);
  const inert = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${inert.replaceAll('"', '""')}"`;
}

/**
 * The first line of a CSV export: a byte-order mark, so spreadsheets read the file as UTF-8, and
 * the column names. Lines end CRLF (RFC 4180).
 */
export const csvHeader = (): string => `\uFEFF${exportColumns.map(csvCell).join(',')}\r\n`;

/** Rows as lines of the format: CSV cells in column order, or one JSON object per line. */
export function formatRows(rows: readonly ExportRow[], format: ExportFormat): string {
  return rows
    .map((row) =>
      format === 'csv'
        ? `${exportColumns.map((column) => csvCell(row[column])).join(',')}\r\n`
        : `${JSON.stringify(row, exportColumns)}\n`,
    )
    .join('');
}
