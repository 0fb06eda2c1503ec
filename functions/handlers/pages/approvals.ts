import { decideApproval } from '../../app/decisions';
import { approvalExplanation } from '../../app/explanations';
import { listInbox } from '../../app/inbox';
import { reassignApproval } from '../../app/reassign';
import { assertWorkplace } from '../../app/workplaces';
import { parseOrThrow } from '../../domain/validation';
import type { Deps } from '../deps';
import { HttpError } from '../http/http-errors';
import { decisionBodySchema, reassignmentBodySchema } from '../http/schemas';
import { emptyForm, type FormState, fieldError, formProblems, invalid, optional, refusedForm } from './forms';
import { type Html, html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';
import { durationWords } from './words';

const notices = new Map([
  ['approve', 'Approved. The request moves on to its next stage or to fulfilment.'],
  ['deny', 'Denied. The requester is told, with your comment.'],
  ['reassign', 'Reassigned. They are asked now, by the same deadline.'],
]);

/**
 * GET /console/approvals: the approver's inbox, each item with everything needed to decide it.
 * POST /console/approvals/{id}/decide and /reassign: through the use cases of
 * POST /approvals/{id}/decision and /reassign.
 */
export const handler = pageRoute({}, async (request, deps) => {
  assertWorkplace(request.workplaces, 'approver');
  if (request.method === 'GET') return inboxPage(200, request, deps, emptyForm(request.query));
  const taskId = request.params.id ?? '';
  const values = { ...Object.fromEntries(request.form), task: taskId };
  try {
    if (request.params.action === 'decide') {
      const { decision, comment } = parseOrThrow(
        decisionBodySchema,
        {
          decision: request.form.get('decision') ?? '',
          comment: optional(request.form.get('comment')) ?? null,
        },
        'decision',
      );
      await decideApproval(deps, { caller: request.caller, taskId, decision, comment, via: 'inbox' });
      return seeOther(`/console/approvals?notice=${decision}`);
    }
    if (request.params.action === 'reassign') {
      const { to, reason } = parseOrThrow(
        reassignmentBodySchema,
        { to: request.form.get('to') ?? '', reason: request.form.get('reason') ?? '' },
        'reassignment',
      );
      await reassignApproval(deps, { caller: request.caller, taskId, to, reason });
      return seeOther('/console/approvals?notice=reassign');
    }
    throw new HttpError(404, 'not_found', 'No such action');
  } catch (error) {
    return inboxPage(400, request, deps, refusedForm(error, values));
  }
});

async function inboxPage(status: number, request: PageRequest, deps: Deps, state: FormState) {
  const { items } = await listInbox(deps, request.caller, 'approval', { limit: 50 });
  const cards = await Promise.all(items.map((item) => inboxCard(request, deps, item, state)));
  return consolePage(status, {
    title: 'Approvals',
    viewer: request,
    active: '/console/approvals',
    body: html`${noticeBanner(notices, request.query.notice)}
<p>Soonest deadline first. <a href="/console/delegations">Away? Have someone asked alongside you.</a></p><p class="muted" data-zone>Times are shown in UTC.</p>
${cards.length ? cards : html`<p class="card">Nothing is waiting for your decision.</p>`}`,
  });
}

async function inboxCard(
  request: PageRequest,
  deps: Deps,
  item: Awaited<ReturnType<typeof listInbox>>['items'][number],
  state: FormState,
): Promise<Html> {
  const ticket = await deps.tickets.get(item.ticket.id);
  if (!ticket) return html``;
  const stageIndex = ticket.approvals.findIndex(
    (approval) => approval.stage === item.stage && approval.decision === null,
  );
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  const entitlement = system?.entitlements.find((candidate) => candidate.id === ticket.entitlement);
  const [why, holds, nameOf] = await Promise.all([
    approvalExplanation(deps.directory, ticket, Math.max(stageIndex, 0), system, request.caller.id),
    deps.grants.entitlementsHeldBy(ticket.beneficiary),
    namesFor(deps.directory, [
      ticket.requester,
      ticket.beneficiary,
      ...ticket.approvals.flatMap((a) => (a.decidedBy ? [a.decidedBy] : [])),
    ]),
  ]);
  const earlier = ticket.approvals.filter(
    (approval) => approval.decision === 'approve' && approval.decidedBy,
  );
  const mine = state.values.task === item.id;
  const value = (name: string) => (mine ? (state.values[name] ?? '') : '');
  const field = (name: string) => `${name}-${item.id}`;
  const fieldState: FormState = mine ? state : emptyForm();
  const facts: [string, Html | string][] = [
    ['Filed by', nameOf(ticket.requester)],
    ['For', nameOf(ticket.beneficiary)],
    [
      'What',
      `${system?.name ?? ticket.system}: ${entitlement?.name ?? ticket.entitlement} (${entitlement?.class ?? ''}, sensitivity ${system?.sensitivity ?? 'unknown'})`,
    ],
    ['For how long', durationWords(ticket.duration)],
    ['Why', ticket.justification ?? ''],
    [
      'Evidence',
      ticket.evidence.length
        ? html`${ticket.evidence.map((link) => html`<a href="${link}" rel="noreferrer noopener">${link}</a> `)}`
        : 'none given',
    ],
    [
      'Policy decided',
      `${ticket.decision?.reason ?? 'approval needed'} (${ticket.decision?.policyIds.join(', ') ?? ''})`,
    ],
    ['Why you', why],
    [
      'Approved before',
      earlier.length
        ? earlier
            .map((approval) => `${nameOf(approval.decidedBy ?? '')} (${approval.stage.replaceAll('_', ' ')})`)
            .join(', ')
        : 'nobody yet',
    ],
    [
      'Already holds',
      holds.length ? holds.map((held) => held.replace('#', ': ')).join(', ') : 'nothing else',
    ],
    ['Deadline', time(item.deadline)],
  ];
  return html`<section class="card" aria-labelledby="${field('title')}"><h2 id="${field('title')}">${ticket.number}: ${entitlement?.name ?? ticket.entitlement} for ${nameOf(ticket.beneficiary)}</h2>
${mine ? formProblems(state, ['comment', 'decision', 'to', 'reason']) : ''}
<dl>${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>
<form method="post" action="/console/approvals/${item.id}/decide">${csrfField(request)}
<label for="${field('comment')}">Comment (optional; the requester reads it)</label><textarea id="${field('comment')}" name="comment"${invalid(fieldState, 'comment')}>${value('comment')}</textarea>${fieldError(fieldState, 'comment')}
<div class="actions"><button type="submit" name="decision" value="approve" class="approve">Approve</button><button type="submit" name="decision" value="deny" class="deny">Deny</button></div></form>
<details${mine && value('to') ? html` open` : ''}><summary>Hand it to someone else</summary><form method="post" action="/console/approvals/${item.id}/reassign">${csrfField(request)}
<label for="${field('to')}">Their directory id (an email address)</label><input id="${field('to')}" name="to" value="${value('to')}"${invalid(fieldState, 'to')}>${fieldError(fieldState, 'to')}
<label for="${field('reason')}">Why</label><input id="${field('reason')}" name="reason" value="${value('reason')}"${invalid(fieldState, 'reason')}>${fieldError(fieldState, 'reason')}
<div class="actions"><button type="submit">Reassign</button></div></form></details></section>`;
}
