import { describe, expect, it } from 'vitest';
import {
  csvCell,
  csvHeader,
  type ExportRow,
  exportColumns,
  exportRowSchema,
  exportRows,
  formatRows,
} from '../../../functions/domain/audit/export-rows';
import type { Approval, Decision, Ticket } from '../../../functions/domain/ticket';
import { appendEvent } from '../../../functions/domain/timeline';
import { fulfilmentBy, ticket, unopenedWait } from './tickets';

const decision = (outcome: Decision['outcome'], policyIds: string[]): Decision => ({
  outcome,
  stages: [],
  policyIds,
  version: 'v-1234',
  reason: null,
  askedBy: {},
  policyReasons: {},
  cap: null,
  inputs: null,
});

function decided(
  stage: string,
  by: string,
  answer: 'approve' | 'deny',
  at: string,
  via: Approval['via'],
): Approval {
  return {
    stage,
    candidates: [by],
    decidedBy: by,
    decision: answer,
    at,
    comment: `${answer} from ${by}`,
    via,
    deadline: null,
    ...unopenedWait,
    path: [by],
  };
}

/** The ticket with these events appended to its timeline, each chained as the domain chains them. */
function withEvents(base: Ticket, ...types: { type: string; at: string; actor: string }[]): Ticket {
  let timeline = base.timeline;
  for (const event of types) {
    timeline = appendEvent(timeline, { ...event, reason: null, from: null, to: null, data: {} });
  }
  return { ...base, timeline };
}

const autoApproved = withEvents(
  ticket({
    status: 'closed',
    closure: 'fulfilled',
    decision: decision('auto_approved', ['wiki-read-in-department']),
    fulfilment: fulfilmentBy(['ops@x.com'], {
      result: 'done',
      by: 'ops@x.com',
      at: '2026-01-01T01:00:00.000Z',
    }),
    grant: { id: 'G01J0000000000000000000000', from: '2026-01-01T01:00:00.000Z', until: null },
  }),
  { type: 'closed', at: '2026-01-01T01:00:00.000Z', actor: 'ops@x.com' },
);

const threeStages = withEvents(
  ticket({
    id: '01J0000000000000000000003',
    system: 'aws-prod',
    entitlement: 'aws-prod-admin',
    status: 'closed',
    closure: 'expired',
    evidence: ['https://tickets.example.com/CHG-42', 'CHG-43'],
    decision: decision('approval_required', ['critical-needs-security']),
    approvals: [
      decided('manager', 'erin@x.com', 'approve', '2026-01-01T00:10:00.000Z', 'link'),
      decided('system_owner', 'sam@x.com', 'approve', '2026-01-01T00:20:00.000Z', 'inbox'),
      decided('security', 'sara@x.com', 'approve', '2026-01-01T00:30:00.000Z', 'link'),
    ],
    fulfilment: fulfilmentBy(['ian@x.com'], {
      result: 'done',
      by: 'ian@x.com',
      at: '2026-01-01T01:00:00.000Z',
    }),
    grant: {
      id: 'G01J0000000000000000000003',
      from: '2026-01-01T01:00:00.000Z',
      until: '2026-01-01T05:00:00.000Z',
    },
    revocation: {
      reason: 'expired',
      requestedBy: 'tollgate',
      requestedAt: '2026-01-01T05:00:00.000Z',
      note: null,
      execution: 'G01J0000000000000000000003-expiry',
      fulfillers: ['ian@x.com'],
      coveredBy: null,
      result: 'done',
      by: 'ian@x.com',
      at: '2026-01-01T05:10:00.000Z',
      comment: null,
      deadline: null,
      ...unopenedWait,
      overdue: false,
    },
  }),
  { type: 'granted', at: '2026-01-01T01:00:00.000Z', actor: 'ian@x.com' },
  { type: 'grant_ended', at: '2026-01-01T05:10:00.000Z', actor: 'ian@x.com' },
);

const rejected = ticket({
  id: '01J0000000000000000000004',
  status: 'closed',
  closure: 'rejected',
  decision: decision('approval_required', ['everyone-asks-manager']),
  approvals: [decided('manager', 'erin@x.com', 'deny', '2026-01-01T00:10:00.000Z', 'inbox')],
});

const forServiceAccount = ticket({
  id: '01J0000000000000000000005',
  requester: 'fiona@x.com',
  beneficiary: 'svc:legacy-ledger',
  beneficiaryOwner: 'dan@x.com',
  status: 'closed',
  closure: 'auto_rejected',
  decision: decision('auto_rejected', ['owner-departed']),
});

describe('the rows an audit export writes for a ticket', () => {
  it('gives an auto-approved ticket one ticket row with its policy, fulfiller and standing grant', () => {
    // Act
    const rows = exportRows(autoApproved, 'read');

    // Assess
    expect(rows).toEqual([
      expect.objectContaining({
        row: 'ticket',
        ticketId: autoApproved.id,
        requester: 'dev@x.com',
        beneficiary: 'dev@x.com',
        beneficiaryOwner: null,
        system: 'wiki',
        entitlement: 'wiki-read',
        entitlementClass: 'read',
        justification: 'reading the runbooks',
        approver: null,
        policyIds: ['wiki-read-in-department'],
        policyVersion: 'v-1234',
        policyOutcome: 'auto_approved',
        fulfiller: 'ops@x.com',
        fulfilledAt: '2026-01-01T01:00:00.000Z',
        grantStart: '2026-01-01T01:00:00.000Z',
        grantUntil: null,
        grantEndedAt: null,
        closure: 'fulfilled',
        chainStatus: 'intact',
        chainBrokenAt: null,
      }),
    ]);
  });

  it('gives a three-stage ticket one row per approver, each with stage, time, comment and channel, and how its grant ended', () => {
    // Act
    const rows = exportRows(threeStages, 'admin');

    // Assess
    expect(
      rows.map((row) => [
        row.row,
        row.stage,
        row.approver,
        row.approverDecision,
        row.decidedAt,
        row.approverComment,
        row.channel,
      ]),
    ).toEqual([
      [
        'decision',
        'manager',
        'erin@x.com',
        'approve',
        '2026-01-01T00:10:00.000Z',
        'approve from erin@x.com',
        'link',
      ],
      [
        'decision',
        'system_owner',
        'sam@x.com',
        'approve',
        '2026-01-01T00:20:00.000Z',
        'approve from sam@x.com',
        'inbox',
      ],
      [
        'decision',
        'security',
        'sara@x.com',
        'approve',
        '2026-01-01T00:30:00.000Z',
        'approve from sara@x.com',
        'link',
      ],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({
        ticketId: threeStages.id,
        entitlementClass: 'admin',
        evidence: ['https://tickets.example.com/CHG-42', 'CHG-43'],
        fulfiller: 'ian@x.com',
        grantId: 'G01J0000000000000000000003',
        grantStart: '2026-01-01T01:00:00.000Z',
        grantUntil: '2026-01-01T05:00:00.000Z',
        grantEndedAt: '2026-01-01T05:10:00.000Z',
        grantEndReason: 'expired',
        closure: 'expired',
        chainStatus: 'intact',
      });
    }
  });

  it('gives a rejected ticket the denial, and no fulfiller or grant', () => {
    // Act
    const [row, ...more] = exportRows(rejected, 'read');

    // Assess
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      row: 'decision',
      approver: 'erin@x.com',
      approverDecision: 'deny',
      fulfiller: null,
      grantId: null,
      grantEndReason: null,
      closure: 'rejected',
    });
  });

  it("names a service account's owner beside it", () => {
    // Act
    const [row] = exportRows(forServiceAccount, null);

    // Assess
    expect(row).toMatchObject({
      requester: 'fiona@x.com',
      beneficiary: 'svc:legacy-ledger',
      beneficiaryOwner: 'dan@x.com',
      policyOutcome: 'auto_rejected',
      closure: 'auto_rejected',
    });
  });

  it('reports the first event whose hash no longer holds', () => {
    // Prepare
    const edited: Ticket = {
      ...threeStages,
      timeline: threeStages.timeline.map((event) =>
        event.seq === 2 ? { ...event, actor: 'mallory@x.com' } : event,
      ),
    };

    // Act
    const rows = exportRows(edited, 'admin');

    // Assess
    expect(rows.map((row) => [row.chainStatus, row.chainBrokenAt])).toEqual([
      ['broken', 2],
      ['broken', 2],
      ['broken', 2],
    ]);
  });
});

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+1+2', `"'+1+2"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tindent', `"'\tindent"`],
    ['\rreturn', `"'\rreturn"`],
  ])('neutralise %j, which a spreadsheet would run, by a leading quote', (value, cell) => {
    // Act
    const written = csvCell(value);

    // Assess
    expect(written).toBe(cell);
  });

  it('quote commas, quotes and line breaks so that they stay inside the cell', () => {
    // Act
    const written = csvCell('a, "b"\r\nc');

    // Assess
    expect(written).toBe('"a, ""b""\r\nc"');
  });

  it('write null as an empty cell and a list joined by semicolons', () => {
    // Act
    const cells = [csvCell(null), csvCell(['a', 'b'])];

    // Assess
    expect(cells).toEqual(['""', '"a; b"']);
  });
});

describe('an export file', () => {
  it('writes CSV as a header of every column, then one line per row in the same order', () => {
    // Prepare
    const rows = exportRows(threeStages, 'admin');

    // Act
    const file = csvHeader() + formatRows(rows, 'csv');

    // Assess
    const lines = file.split('\r\n');
    expect(lines[0]).toBe(`\uFEFF${exportColumns.map((column) => `"${column}"`).join(',')}`);
    expect(lines).toHaveLength(rows.length + 2);
    expect(lines.at(-1)).toBe('');
    expect(lines[1]?.startsWith(`"decision","${threeStages.id}","${threeStages.number}","access"`)).toBe(
      true,
    );
  });

  it('writes JSONL as one object per line that the published schema parses, keys in column order', () => {
    // Prepare
    const rows = [...exportRows(autoApproved, 'read'), ...exportRows(threeStages, 'admin')];

    // Act
    const lines = formatRows(rows, 'jsonl').trimEnd().split('\n');

    // Assess
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const parsed = JSON.parse(line) as ExportRow;
      expect(exportRowSchema.strict().parse(parsed)).toEqual(parsed);
      expect(Object.keys(parsed)).toEqual(exportColumns);
    }
  });
});
