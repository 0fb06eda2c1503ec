import { confirmRevocation, reportFulfilment } from '../../app/decisions';
import { listInbox } from '../../app/inbox';
import { assertWorkplace } from '../../app/workplaces';
import { parseOrThrow } from '../../domain/validation';
import type { Deps } from '../deps';
import { HttpError } from '../http/http-errors';
import { fulfilmentBodySchema } from '../http/schemas';
import { emptyForm, type FormState, fieldError, formProblems, invalid, optional, refusedForm } from './forms';
import { type Html, html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';
import { durationWords } from './words';

const notices = new Map([
  ['done', 'Recorded as done: the access is granted and the requester told.'],
  ['failed', 'Recorded as failed: the requester is told, with your note.'],
  ['removed', 'Recorded: the access is gone, and the grant ends.'],
]);

/**
 * GET /console/fulfilments: the fulfiller's open tasks, setting access up and taking it away.
 * POST /console/fulfilments/{id}/report (done or failed, with a note) goes through the use case of
 * POST /requests/{id}/fulfilment; /confirm (the access is gone) through the one the emailed
 * revocation link calls.
 */
export const handler = pageRoute({}, async (request, deps) => {
  assertWorkplace(request.workplaces, 'fulfiller');
  if (request.method === 'GET') return tasksPage(200, request, deps, emptyForm());
  const taskId = request.params.id ?? '';
  const values = { ...Object.fromEntries(request.form), task: taskId };
  try {
    const note = optional(request.form.get('note')) ?? null;
    if (request.params.action === 'report') {
      const { result } = parseOrThrow(
        fulfilmentBodySchema,
        { result: request.form.get('result') ?? '', note },
        'fulfilment report',
      );
      await reportFulfilment(deps, { caller: request.caller, taskId, result, note, via: 'inbox' });
      return seeOther(`/console/fulfilments?notice=${result}`);
    }
    if (request.params.action === 'confirm') {
      await confirmRevocation(deps, { caller: request.caller, taskId, comment: note, via: 'inbox' });
      return seeOther('/console/fulfilments?notice=removed');
    }
    throw new HttpError(404, 'not_found', 'No such action');
  } catch (error) {
    return tasksPage(400, request, deps, refusedForm(error, values));
  }
});

async function tasksPage(status: number, request: PageRequest, deps: Deps, state: FormState) {
  const [fulfil, revoke] = await Promise.all([
    listInbox(deps, request.caller, 'fulfilment', { limit: 50 }),
    listInbox(deps, request.caller, 'revoke', { limit: 50 }),
  ]);
  const access = fulfil.items.filter((item) => item.ticket.type === 'access');
  const nameOf = await namesFor(
    deps.directory,
    [...access, ...revoke.items].flatMap((item) => [
      item.ticket.beneficiary,
      ...item.ticket.approvals.flatMap((a) => (a.decidedBy ? [a.decidedBy] : [])),
    ]),
  );
  const card = (item: (typeof access)[number], kind: 'report' | 'confirm'): Html => {
    const { ticket } = item;
    const mine = state.values.task === item.id;
    const fieldState = mine ? state : emptyForm();
    const approvedBy = ticket.approvals
      .filter((a) => a.decision === 'approve')
      .map((a) => nameOf(a.decidedBy ?? ''));
    return html`<section class="card"><h2>${ticket.number}: ${kind === 'report' ? 'set up' : 'remove'} ${ticket.entitlement} on ${ticket.system} for ${nameOf(ticket.beneficiary)}</h2>
${mine ? formProblems(state, ['note', 'result']) : ''}
<dl><dt>Who</dt><dd>${nameOf(ticket.beneficiary)} (${ticket.beneficiary})</dd><dt>For how long</dt><dd>${durationWords(ticket.duration)}</dd>
<dt>Approved by</dt><dd>${approvedBy.join(', ') || (ticket.decision?.outcome === 'auto_approved' ? 'policy, at once' : 'nobody')}</dd><dt>Deadline</dt><dd>${time(item.deadline)}</dd></dl>
<form method="post" action="/console/fulfilments/${item.id}/${kind}">${csrfField(request)}
<label for="note-${item.id}">Note${kind === 'report' ? ' (say what you did, or why it failed)' : ' (optional)'}</label><textarea id="note-${item.id}" name="note"${invalid(fieldState, 'note')}>${mine ? (state.values.note ?? '') : ''}</textarea>${fieldError(fieldState, 'note')}
<div class="actions">${
      kind === 'report'
        ? html`<button type="submit" name="result" value="done" class="approve">Done</button><button type="submit" name="result" value="failed" class="deny">Failed</button>`
        : html`<button type="submit" class="approve">The access is gone</button>`
    }</div></form></section>`;
  };
  return consolePage(status, {
    title: 'Fulfilment',
    viewer: request,
    active: '/console/fulfilments',
    body: html`${noticeBanner(notices, request.query.notice)}<p class="muted" data-zone>Times are shown in UTC.</p>
<h2>Set up</h2>${access.length ? access.map((item) => card(item, 'report')) : html`<p class="card">No access waits to be set up.</p>`}
<h2>Take away</h2>${revoke.items.length ? revoke.items.map((item) => card(item, 'confirm')) : html`<p class="card">No access waits to be removed.</p>`}`,
  });
}
