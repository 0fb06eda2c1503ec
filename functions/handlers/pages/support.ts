import { assignRequest } from '../../app/assignments';
import { commentOnRequest } from '../../app/comments';
import { reportFulfilment } from '../../app/decisions';
import { listInbox } from '../../app/inbox';
import { assertWorkplace } from '../../app/workplaces';
import { firstResponseAt } from '../../domain/support';
import { parseOrThrow } from '../../domain/validation';
import type { Deps } from '../deps';
import { HttpError } from '../http/http-errors';
import { commentBodySchema, fulfilmentBodySchema } from '../http/schemas';
import { emptyForm, type FormState, fieldError, formProblems, invalid, optional, refusedForm } from './forms';
import { type Html, html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';

const notices = new Map([
  ['take', 'It is yours now.'],
  ['respond', 'Your answer was sent to the requester.'],
  ['resolve', 'Resolved: the requester is told.'],
]);

/**
 * GET /console/support: the queue member's open support tickets, with their service levels.
 * POST /console/support/{ticketId}/take, /respond and /resolve: through the use cases of
 * POST /requests/{id}/assign, /comments (a queue's first answer is its first response) and /fulfilment.
 */
export const handler = pageRoute({}, async (request, deps) => {
  assertWorkplace(request.workplaces, 'support');
  if (request.method === 'GET') return queuePage(200, request, deps, emptyForm());
  const taskId = request.params.id ?? '';
  const values = { ...Object.fromEntries(request.form), task: taskId };
  try {
    const task = await deps.tasks.get(taskId);
    const ticketId = task?.ticketId ?? '';
    const action = request.params.action ?? '';
    if (action === 'take') {
      await assignRequest(deps, { caller: request.caller, ticketId, to: null });
    } else if (action === 'respond') {
      const { text } = parseOrThrow(commentBodySchema, { text: request.form.get('text') ?? '' }, 'answer');
      await commentOnRequest(deps, { caller: request.caller, ticketId, text, idempotencyKey: null });
    } else if (action === 'resolve') {
      const { note } = parseOrThrow(
        fulfilmentBodySchema,
        { result: 'done', note: optional(request.form.get('note')) ?? null },
        'resolution',
      );
      await reportFulfilment(deps, { caller: request.caller, taskId, result: 'done', note, via: 'inbox' });
    } else {
      throw new HttpError(404, 'not_found', 'No such action');
    }
    return seeOther(`/console/support?notice=${action}`);
  } catch (error) {
    return queuePage(400, request, deps, refusedForm(error, values));
  }
});

async function queuePage(status: number, request: PageRequest, deps: Deps, state: FormState) {
  const { items } = await listInbox(deps, request.caller, 'fulfilment', { limit: 50 });
  const support = items.filter((item) => item.ticket.type === 'support');
  const nameOf = await namesFor(
    deps.directory,
    support.flatMap((item) => [item.ticket.requester, item.ticket.assignee ?? '']),
  );
  const cards = await Promise.all(
    support.map(async (item): Promise<Html> => {
      const ticket = (await deps.tickets.get(item.ticket.id)) ?? { ...item.ticket, timeline: [] };
      const mine = state.values.task === item.id;
      const fieldState = mine ? state : emptyForm();
      const answered = firstResponseAt(ticket);
      const sla = ticket.sla;
      return html`<section class="card"><h2>${ticket.number}: ${ticket.category} · ${ticket.urgency}</h2>
${mine ? formProblems(state, ['text', 'note']) : ''}
<dl><dt>From</dt><dd>${nameOf(ticket.requester)}</dd><dt>Problem</dt><dd>${ticket.description}</dd>
<dt>Taken by</dt><dd>${ticket.assignee ? nameOf(ticket.assignee) : 'nobody yet'}</dd>
<dt>First response</dt><dd>${answered ? html`given ${time(answered)}` : html`due ${time(sla?.firstResponseDue)}`}</dd>
<dt>Resolution</dt><dd>due ${time(sla?.resolutionDue)}${sla?.breaches.length ? html` <span class="badge">missed: ${sla.breaches.map((breach) => breach.sla.replace('_', ' ')).join(', ')}</span>` : ''}</dd></dl>
${ticket.assignee === request.caller.id ? '' : html`<form method="post" action="/console/support/${item.id}/take">${csrfField(request)}<div class="actions"><button type="submit">Take it</button></div></form>`}
<form method="post" action="/console/support/${item.id}/respond">${csrfField(request)}<label for="text-${item.id}">Answer the requester</label><textarea id="text-${item.id}" name="text"${invalid(fieldState, 'text')}>${mine ? (state.values.text ?? '') : ''}</textarea>${fieldError(fieldState, 'text')}<div class="actions"><button type="submit">Send answer</button></div></form>
<form method="post" action="/console/support/${item.id}/resolve">${csrfField(request)}<label for="note-${item.id}">How it was resolved</label><textarea id="note-${item.id}" name="note"${invalid(fieldState, 'note')}>${mine ? (state.values.note ?? '') : ''}</textarea>${fieldError(fieldState, 'note')}<div class="actions"><button type="submit" class="approve">Resolve</button></div></form></section>`;
    }),
  );
  return consolePage(status, {
    title: 'Support queue',
    viewer: request,
    active: '/console/support',
    body: html`${noticeBanner(notices, request.query.notice)}<p class="muted" data-zone>Times are shown in UTC.</p>${cards.length ? cards : html`<p class="card">The queue is empty.</p>`}`,
  });
}
