import { readExport, startExport } from '../../app/audit-exports';
import { readLatestVerification } from '../../app/audit-verify';
import { readPolicySnapshot } from '../../app/policies';
import { getRequest, listRequests } from '../../app/read-requests';
import { assertWorkplace } from '../../app/workplaces';
import { chainId } from '../../domain/audit/checkpoint';
import type { VerificationReport } from '../../domain/audit/verification';
import { NotFoundError } from '../../domain/errors';
import { statuses } from '../../domain/lifecycle';
import type { Ticket } from '../../domain/ticket';
import { findBrokenLink } from '../../domain/timeline';
import { parseOrThrow } from '../../domain/validation';
import { type AuditDeps, getAuditDeps } from '../audit-deps';
import { listRequestsQuery } from '../http/schemas';
import { emptyForm, type FormState, fieldError, formProblems, invalid, refusedForm } from './forms';
import { type Html, html, time } from './html';
import { consolePage, csrfField, seeOther } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';
import { durationWords, eventWords, stageWords, statusWords } from './words';

const SEARCH_FIELDS = ['number', 'requester', 'beneficiary', 'system', 'entitlement', 'status', 'from', 'to'];

/**
 * The auditor's part of the console, each page through the use case of the JSON API that serves
 * the same thing, with its authorization: GET /console/audit searches tickets (GET /requests with
 * its filters) and shows the latest verification (GET /audit/verify); /console/audit/requests/{id}
 * is a ticket's whole record with its decision's inputs (GET /policies/inputs/{hash}) and its
 * chain; POST /console/audit/exports starts an export (POST /audit/exports) and
 * /console/audit/exports/{id} follows it to its download link (GET /audit/exports/{id}).
 */
export const handler = pageRoute({ deps: getAuditDeps }, async (request, deps) => {
  assertWorkplace(request.workplaces, 'audit');
  const [, , , section, id] = request.path.split('/');
  if (section === undefined) return searchPage(request, deps, emptyForm());
  if (section === 'requests' && id) return recordPage(request, deps);
  if (section === 'exports' && request.method === 'POST') return startExportFrom(request, deps);
  if (section === 'exports' && id) return exportPage(request, deps, id);
  throw new NotFoundError('No such page');
});

async function searchPage(request: PageRequest, deps: AuditDeps, exportForm: FormState) {
  const asked = Object.fromEntries(
    SEARCH_FIELDS.flatMap((field) => {
      const value = request.query[field]?.trim();
      return value ? [[field, value]] : [];
    }),
  );
  const searching = Object.keys(asked).length > 0 || request.query.cursor !== undefined;
  let search: FormState = emptyForm(asked);
  let results: Html = html``;
  if (searching) {
    try {
      const query = parseOrThrow(
        listRequestsQuery,
        { ...asked, ...(request.query.cursor ? { cursor: request.query.cursor } : {}), limit: '25' },
        'search',
      );
      results = await resultsTable(deps, await listRequests(deps, request.caller, query), asked);
    } catch (error) {
      search = refusedForm(error, asked);
    }
  }
  const [catalog, verification] = await Promise.all([
    deps.directory.catalog(),
    latestVerification(request, deps),
  ]);
  const value = (name: string) => search.values[name] ?? '';
  const field = (name: string, label: string, hint: string, type = 'text') =>
    html`<div><label for="${name}">${label}</label><input id="${name}" name="${name}" type="${type}" value="${value(name)}" placeholder="${hint}"${invalid(search, name)}>${fieldError(search, name)}</div>`;
  const select = (name: string, label: string, options: [string, string][]) =>
    html`<div><label for="${name}">${label}</label><select id="${name}" name="${name}"${invalid(search, name)}><option value="">Any</option>${options.map(
      ([option, words]) =>
        html`<option value="${option}"${value(name) === option ? html` selected` : ''}>${words}</option>`,
    )}</select>${fieldError(search, name)}</div>`;
  return consolePage(search.message || exportForm.message ? 400 : 200, {
    title: 'Audit',
    viewer: request,
    active: '/console/audit',
    body: html`${verificationCard(verification)}
<section class="card"><h2>Find tickets</h2>${formProblems(search, SEARCH_FIELDS)}<form method="get" action="/console/audit" class="grid">
${field('number', 'Number', 'TG-1042')}
${field('requester', 'Requested by', 'alex.dev@example.com', 'email')}
${field('beneficiary', 'For', 'alex.dev@example.com', 'email')}
${select(
  'system',
  'System',
  catalog.map((system) => [system.id, system.name]),
)}
${field('entitlement', 'Entitlement', 'github-write')}
${select(
  'status',
  'Status',
  statuses.map((status) => [status, status.replaceAll('_', ' ')]),
)}
${field('from', 'Filed from', '', 'date')}
${field('to', 'Filed until', '', 'date')}
<div class="actions"><button type="submit">Search</button> <a href="/console/audit">Clear</a></div></form></section>
${results}
${exportCard(request, exportForm)}`,
  });
}

async function resultsTable(
  deps: AuditDeps,
  found: Awaited<ReturnType<typeof listRequests>>,
  asked: Record<string, string>,
): Promise<Html> {
  const next = found.next
    ? html`<p><a href="/console/audit?${new URLSearchParams({ ...asked, cursor: found.next }).toString()}">Next page</a></p>`
    : '';
  if (found.items.length === 0) {
    // A search reads a bounded part of history at a time: none here, maybe some further on.
    return found.next
      ? html`<section class="card"><h2>Results</h2><p>No ticket matches among those read so far; the next page reads on, further back.</p>${next}</section>`
      : html`<section class="card"><h2>Results</h2><p>No ticket matches.</p></section>`;
  }
  const nameOf = await namesFor(
    deps.directory,
    found.items.flatMap((ticket) => [ticket.requester, ticket.beneficiary]),
  );
  const rows = found.items.map(
    (ticket) => html`<tr><td><a href="/console/audit/requests/${ticket.id}">${ticket.number}</a></td>
<td>${ticket.type === 'access' ? `${ticket.system} · ${ticket.entitlement}` : `Support: ${ticket.category}`}</td>
<td>${nameOf(ticket.requester)}${ticket.beneficiary !== ticket.requester ? html`<br><span class="muted">for ${nameOf(ticket.beneficiary)}</span>` : ''}</td>
<td>${statusWords(ticket)}</td><td>${time(ticket.createdAt)}</td></tr>`,
  );
  return html`<section class="card"><h2>Results</h2><div class="scroll"><table><caption class="visually-hidden">Tickets found, newest first</caption><thead><tr><th scope="col">Number</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Status</th><th scope="col">Filed</th></tr></thead><tbody>${rows}</tbody></table></div>${next}</section>`;
}

/** The latest scheduled verification, or null before it first ran (the API's 404). */
async function latestVerification(request: PageRequest, deps: AuditDeps): Promise<VerificationReport | null> {
  try {
    return await readLatestVerification(deps, request.caller);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

function verificationCard(report: VerificationReport | null): Html {
  if (!report) {
    return html`<section class="card"><h2>Verification</h2><p>No verification has run yet: the audit-verify schedule runs one each day, and <code>npm run audit:verify</code> checks now.</p></section>`;
  }
  const { counts } = report;
  const findings = report.findings
    .slice(0, 20)
    .map(
      (finding) =>
        html`<li>${finding.kind === 'ticket' ? html`<a href="/console/audit/requests/${finding.id}">${finding.chain}</a>` : finding.chain}: <strong>${finding.status}</strong>, ${finding.detail}</li>`,
    );
  return html`<section class="card"><h2>Verification</h2>
<p class="${report.ok ? 'ok' : 'error'}">${report.ok ? 'Intact: no history was changed.' : 'Tampering found: see below.'} Checked ${time(report.checkedAt)} against ${String(report.checkpoints.count)} checkpoints${report.checkpoints.sound ? '' : ' (some are unsound)'}.</p>
<p>${String(counts.total)} chains: ${String(counts.intact)} intact, ${String(counts.newer)} newer than the last checkpoint, ${String(counts.edited)} edited, ${String(counts.truncated)} truncated, ${String(counts.deleted)} deleted.</p>
${findings.length ? html`<ul>${findings}</ul>` : ''}${report.findings.length + report.findingsLeftOut > findings.length ? html`<p class="muted">${String(report.findings.length + report.findingsLeftOut - findings.length)} more findings: run <code>npm run audit:verify</code> for all of them.</p>` : ''}</section>`;
}

function exportCard(request: PageRequest, state: FormState): Html {
  const value = (name: string) => state.values[name] ?? '';
  return html`<section class="card"><h2>Export</h2><p>One row per decision and per ticket filed in the period, with its approvers, policy and chain status.</p>${formProblems(state, ['from', 'to', 'format'])}
<form method="post" action="/console/audit/exports" class="grid">${csrfField(request)}
<div><label for="export-from">Filed from</label><input id="export-from" name="from" type="date" value="${value('from')}"${invalid(state, 'from')}>${fieldError(state, 'from')}</div>
<div><label for="export-to">Filed until</label><input id="export-to" name="to" type="date" value="${value('to')}"${invalid(state, 'to')}>${fieldError(state, 'to')}</div>
<div><label for="format">Format</label><select id="format" name="format"><option value="csv"${value('format') === 'jsonl' ? '' : html` selected`}>CSV (spreadsheets)</option><option value="jsonl"${value('format') === 'jsonl' ? html` selected` : ''}>JSON Lines</option></select></div>
<div class="actions"><button type="submit">Start the export</button></div></form></section>`;
}

async function startExportFrom(request: PageRequest, deps: AuditDeps) {
  const values = Object.fromEntries(request.form);
  // The form's date fields give days; the API takes instants: a day runs from its first to its last millisecond.
  const day = (value: string | undefined, at: string) =>
    value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T${at}Z` : value || undefined;
  const body = {
    from: day(values.from, '00:00:00.000'),
    to: day(values.to, '23:59:59.999'),
    format: values.format,
  };
  try {
    const { id } = await startExport(deps, request.caller, body);
    return seeOther(`/console/audit/exports/${id}`);
  } catch (error) {
    return searchPage(request, deps, refusedForm(error, values));
  }
}

async function exportPage(request: PageRequest, deps: AuditDeps, id: string) {
  const job = await readExport(deps, request.caller, id);
  const running = job.status === 'queued' || job.status === 'running';
  const result = job.result
    ? html`<p>${String(job.result.rows)} rows, ${String(Math.ceil(job.result.bytes / 1024))} KB. <a class="button" href="${job.result.url}">Download</a></p><p class="muted">The link works until ${time(job.result.expiresAt)}; this page gives a new one.</p>`
    : '';
  return consolePage(200, {
    title: `Export of ${job.from.slice(0, 10)} to ${job.to.slice(0, 10)}`,
    viewer: request,
    active: '/console/audit',
    refreshSeconds: running ? 2 : undefined,
    body: html`<section class="card" aria-live="polite"><dl><dt>Status</dt><dd>${job.status}${running ? ' (this page reloads itself)' : ''}</dd><dt>Format</dt><dd>${job.format === 'csv' ? 'CSV' : 'JSON Lines'}</dd><dt>Progress</dt><dd>${progressWords(job.progress)}</dd>${job.error ? html`<dt>Why it failed</dt><dd>${job.error.message}</dd>` : ''}</dl>${result}</section>
<p><a href="/console/audit">Back to the audit</a></p>`,
  });
}

function progressWords(progress: { done: number; total: number | null } | null | undefined): string {
  if (!progress) return 'not started';
  return progress.total ? `${progress.done} of ${progress.total} tickets` : `${progress.done} tickets`;
}

async function recordPage(request: PageRequest, deps: AuditDeps) {
  const ticket = await getRequest(deps, request.caller, request.params.id ?? '');
  const [inputs, verification] = await Promise.all([
    ticket.decision?.inputs
      ? readPolicySnapshot(deps, request.caller, ticket.decision.inputs).catch((error: unknown) => {
          if (error instanceof NotFoundError) return null;
          throw error;
        })
      : null,
    latestVerification(request, deps),
  ]);
  const nameOf = await namesFor(deps.directory, [
    ticket.requester,
    ticket.beneficiary,
    ...(ticket.beneficiaryOwner ? [ticket.beneficiaryOwner] : []),
    ...ticket.timeline.map((event) => event.actor),
    ...ticket.approvals.flatMap((approval) => [...approval.candidates, approval.decidedBy ?? '']),
  ]);
  const facts: [string, Html | string][] = [
    ['Number', ticket.number],
    ['Id', ticket.id],
    ['Status', statusWords(ticket)],
    ['Requested by', nameOf(ticket.requester)],
    ['For', nameOf(ticket.beneficiary)],
    ...(ticket.beneficiaryOwner
      ? [['Owner of the account', nameOf(ticket.beneficiaryOwner)] as [string, string]]
      : []),
    ...(ticket.type === 'access'
      ? ([
          ['System and entitlement', `${ticket.system} · ${ticket.entitlement}`],
          ['Duration', durationWords(ticket.duration)],
          ['Justification', ticket.justification ?? ''],
          ['Evidence', ticket.evidence.length ? ticket.evidence.join(', ') : 'none'],
        ] as [string, string][])
      : ([
          ['Category', ticket.category ?? ''],
          ['Description', ticket.description ?? ''],
        ] as [string, string][])),
    ['Filed', time(ticket.createdAt)],
    ...(ticket.grant
      ? ([
          [
            'Access',
            html`from ${time(ticket.grant.from)} ${ticket.grant.until ? html`until ${time(ticket.grant.until)}` : 'with no end'}`,
          ],
        ] as [string, Html][])
      : []),
    ['Closure', ticket.closure ?? '–'],
  ];
  const timeline = ticket.timeline.map(
    (event, index) =>
      html`<li>${time(event.at)}: ${eventWords(event, nameOf)} <span class="muted">(event ${String(index + 1)}, ${event.hash.slice(0, 12)}…)</span></li>`,
  );
  return consolePage(200, {
    title: `${ticket.number}: the record`,
    viewer: request,
    active: '/console/audit',
    body: html`<section class="card"><dl>${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl></section>
${chainCard(ticket, verification)}
${decisionCard(ticket)}
${approvalsCard(ticket, nameOf)}
${inputsCard(ticket, inputs)}
<section class="card"><h2>Timeline</h2><p class="muted" data-zone>Times are shown in UTC.</p><ol class="timeline">${timeline}</ol></section>`,
  });
}

/** The ticket's chain as read now, and as the latest verification judged it against its checkpoint. */
function chainCard(ticket: Ticket, verification: VerificationReport | null): Html {
  const broken = findBrokenLink(ticket.timeline);
  const now =
    broken === null
      ? html`<p class="ok">Every event's hash and link holds (${String(ticket.timeline.length)} events).</p>`
      : html`<p class="error">Event ${String(broken)}'s hash or link is broken: history was changed.</p>`;
  if (!verification)
    return html`<section class="card"><h2>Chain</h2>${now}<p class="muted">No verification has run yet.</p></section>`;
  const finding = verification.findings.find((each) => each.chain === chainId('ticket', ticket.id));
  const judged = finding
    ? html`<strong>${finding.status}</strong>: ${finding.detail}`
    : verification.findingsLeftOut > 0
      ? 'not among the findings kept (some were left out)'
      : html`<strong>intact</strong> against its checkpoint`;
  return html`<section class="card"><h2>Chain</h2>${now}<p>At the verification of ${time(verification.checkedAt)}: ${judged}.</p></section>`;
}

function decisionCard(ticket: Ticket): Html {
  const decision = ticket.decision;
  if (!decision)
    return html`<section class="card"><h2>Decision</h2><p>Not decided by policy (a support ticket, or filed before policies).</p></section>`;
  const stages = decision.stages.map(
    (stage) =>
      html`<li>${stageWords[stage] ?? stage}, asked by ${(decision.askedBy[stage] ?? []).join(', ') || 'routing'}</li>`,
  );
  const reasons = Object.entries(decision.policyReasons).map(
    ([policy, reason]) => html`<li><code>${policy}</code>: ${reason}</li>`,
  );
  return html`<section class="card"><h2>Decision</h2><dl><dt>Outcome</dt><dd>${decision.outcome.replaceAll('_', ' ')}</dd>
<dt>Policies</dt><dd>${decision.policyIds.length ? decision.policyIds.join(', ') : 'none'}</dd>
<dt>Policy set version</dt><dd><code>${decision.version}</code></dd>
${decision.reason ? html`<dt>Reason</dt><dd>${decision.reason}</dd>` : ''}
${decision.cap ? html`<dt>Duration cap</dt><dd>${durationWords(decision.cap.max)} (policy ${decision.cap.policyId})</dd>` : ''}</dl>
${stages.length ? html`<h3>Stages</h3><ol>${stages}</ol>` : ''}${reasons.length ? html`<h3>In the policies' words</h3><ul>${reasons}</ul>` : ''}</section>`;
}

function approvalsCard(ticket: Ticket, nameOf: (id: string) => string): Html {
  if (ticket.approvals.length === 0) return html``;
  const rows = ticket.approvals.map(
    (
      approval,
    ) => html`<tr><td>${stageWords[approval.stage] ?? approval.stage}</td><td>${approval.candidates.map(nameOf).join(', ')}</td>
<td>${approval.decision ? `${approval.decision === 'approve' ? 'approved' : 'denied'} by ${nameOf(approval.decidedBy ?? '')}` : '–'}</td>
<td>${time(approval.at)}</td><td>${approval.via ?? '–'}</td><td>${approval.comment ?? ''}</td></tr>`,
  );
  return html`<section class="card"><h2>Approvals</h2><div class="scroll"><table><thead><tr><th scope="col">Stage</th><th scope="col">Asked</th><th scope="col">Decision</th><th scope="col">When</th><th scope="col">Channel</th><th scope="col">Comment</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function inputsCard(ticket: Ticket, inputs: unknown): Html {
  if (!ticket.decision?.inputs) return html``;
  if (!inputs)
    return html`<section class="card"><h2>What policy saw</h2><p class="error">The snapshot ${ticket.decision.inputs} is missing.</p></section>`;
  return html`<section class="card"><h2>What policy saw</h2><p>Every input of the decision as it was then, kept under its SHA-256 <code>${ticket.decision.inputs}</code>.</p><details><summary>The entities and context</summary><pre>${JSON.stringify(inputs, null, 2)}</pre></details></section>`;
}
