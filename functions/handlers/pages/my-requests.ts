import { cancelRequest } from '../../app/cancel';
import { commentOnRequest } from '../../app/comments';
import { requestExtension } from '../../app/extensions';
import { giveFeedback } from '../../app/feedback';
import { getRequest, listRequests } from '../../app/read-requests';
import { extensionBodySchema } from '../../domain/extension';
import { feedbackBodySchema } from '../../domain/feedback';
import { resolution } from '../../domain/ticket';
import { parseOrThrow } from '../../domain/validation';
import { HttpError } from '../http/http-errors';
import { cancelBodySchema, commentBodySchema } from '../http/schemas';
import { getPolicyDeps, type PolicyDeps } from '../policy-deps';
import {
  emptyForm,
  type FormState,
  fieldError,
  formKey,
  formProblems,
  invalid,
  optional,
  refusedForm,
} from './forms';
import { type Html, html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther, type Viewer } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';
import { durationWords, eventWords, statusWords } from './words';

const notices = new Map([
  ['filed', 'Your request was filed. Its timeline below shows where it is.'],
  ['commented', 'Your comment was added, and the others on the request were emailed.'],
  ['cancelled', 'The request was cancelled. Those asked were told.'],
  ['extended', 'Your extension was filed as a new request, decided like any other.'],
  ['rated', 'Thank you: your rating was recorded.'],
]);

const noticeAfter: Record<string, string> = { comment: 'commented', cancel: 'cancelled', feedback: 'rated' };

/**
 * GET /console/requests: the viewer's requests with their status. GET /console/requests/{id}: one,
 * its timeline in words, and what the viewer may do with it; its forms post to
 * /console/requests/{id}/{action} (comment, cancel, extend, feedback), each through the use case the JSON
 * API calls for the same thing.
 */
export const handler = pageRoute({ deps: getPolicyDeps }, async (request, deps) => {
  const id = request.params.id;
  if (!id) return listPage(request, deps);
  if (request.method === 'GET') return detailPage(200, request, deps, emptyForm());
  const action = request.params.action;
  const values = Object.fromEntries(request.form);
  try {
    if (action === 'comment') {
      const { text } = parseOrThrow(commentBodySchema, { text: request.form.get('text') ?? '' }, 'comment');
      await commentOnRequest(deps, {
        caller: request.caller,
        ticketId: id,
        text,
        idempotencyKey: optional(request.form.get('key')) ?? null,
      });
    } else if (action === 'cancel') {
      const { reason } = parseOrThrow(
        cancelBodySchema,
        { reason: optional(request.form.get('reason')) ?? null },
        'cancellation',
      );
      await cancelRequest(deps, {
        ticketId: id,
        actor: request.caller,
        reason,
        cause: 'requester',
      });
    } else if (action === 'extend') {
      const ticket = await getRequest(deps, request.caller, id);
      const { ticket: extension } = await requestExtension(
        deps,
        request.caller,
        ticket.grant?.id ?? '',
        parseOrThrow(
          extensionBodySchema,
          {
            duration: request.form.get('duration') ?? '',
            justification: request.form.get('justification') ?? '',
          },
          'extension',
        ),
        optional(request.form.get('key')),
      );
      return seeOther(`/console/requests/${extension.id}?notice=extended`);
    } else if (action === 'feedback') {
      const feedback = parseOrThrow(
        feedbackBodySchema,
        {
          // A rating left unchosen is missing, not zero: the schema names the field either way.
          rating: request.form.has('rating') ? Number(request.form.get('rating')) : undefined,
          ...(optional(request.form.get('comment'))
            ? { comment: optional(request.form.get('comment')) }
            : {}),
        },
        'feedback',
      );
      await giveFeedback(deps, { caller: request.caller, ticketId: id, feedback, via: 'console' });
    } else {
      throw new HttpError(404, 'not_found', 'No such action');
    }
    return seeOther(`/console/requests/${id}?notice=${noticeAfter[action ?? '']}`);
  } catch (error) {
    return detailPage(400, request, deps, {
      ...refusedForm(error, values),
      values: { ...values, form: action ?? '' },
    });
  }
});

async function listPage(request: PageRequest, deps: PolicyDeps) {
  const { items } = await listRequests(deps, request.caller, { mine: true, limit: 50 });
  const nameOf = await namesFor(
    deps.directory,
    items.map((ticket) => ticket.beneficiary),
  );
  const rows = items.map(
    (ticket) => html`<tr><td><a href="/console/requests/${ticket.id}">${ticket.number}</a></td>
<td>${ticket.type === 'access' ? `${ticket.system} · ${ticket.entitlement}` : `Support: ${ticket.category}`}${
      ticket.beneficiary !== request.caller.id
        ? html`<br><span class="muted">for ${nameOf(ticket.beneficiary)}</span>`
        : ''
    }</td><td>${statusWords(ticket)}</td><td>${time(ticket.createdAt)}</td></tr>`,
  );
  return consolePage(200, {
    title: 'My requests',
    viewer: request,
    active: '/console/requests',
    body: html`<p><a class="button" href="/console/catalog">Request access</a> <a href="/console/requests/new?type=support">Ask for help</a></p>
<p class="muted" data-zone>Times are shown in UTC.</p>${
      items.length
        ? html`<div class="card scroll"><table><thead><tr><th scope="col">Number</th><th scope="col">What</th><th scope="col">Status</th><th scope="col">Filed</th></tr></thead><tbody>${rows}</tbody></table></div>`
        : html`<p class="card">You have filed no requests yet.</p>`
    }`,
  });
}

async function detailPage(status: number, request: PageRequest, deps: PolicyDeps, state: FormState) {
  const ticket = await getRequest(deps, request.caller, request.params.id ?? '');
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  const entitlement = system?.entitlements.find((candidate) => candidate.id === ticket.entitlement);
  const nameOf = await namesFor(deps.directory, [
    ticket.requester,
    ticket.beneficiary,
    ...ticket.timeline.map((event) => event.actor),
    ...ticket.approvals.flatMap((approval) => approval.candidates),
  ]);
  const facts: [string, Html | string][] = [
    ['Status', statusWords(ticket)],
    ['Filed by', nameOf(ticket.requester)],
    ['For', nameOf(ticket.beneficiary)],
    ...(ticket.type === 'access'
      ? ([
          ['What', `${system?.name ?? ticket.system}: ${entitlement?.name ?? ticket.entitlement}`],
          ['For how long', durationWords(ticket.duration)],
          ['Why', ticket.justification ?? ''],
          ['Policy', ticket.decision?.reason ?? 'not decided yet'],
        ] as [string, string][])
      : ([
          ['About', ticket.category ?? ''],
          ['Problem', ticket.description ?? ''],
          ['Taken by', ticket.assignee ? nameOf(ticket.assignee) : 'nobody yet'],
        ] as [string, string][])),
    ...(ticket.grant
      ? ([
          [
            'Access',
            html`from ${time(ticket.grant.from)} ${ticket.grant.until ? html`until ${time(ticket.grant.until)}` : 'with no end'}`,
          ],
        ] as [string, Html][])
      : []),
  ];
  const waiting = ticket.approvals
    .filter(
      (approval) =>
        approval.decision === null && approval.candidates.length > 0 && ticket.status === 'pending_approval',
    )
    .map(
      (approval) =>
        html`<p>Waiting for ${approval.candidates.map(nameOf).join(' or ')} (${approval.stage.replaceAll('_', ' ')}), by ${time(approval.deadline)}.</p>`,
    );
  const timeline = ticket.timeline.map(
    (event) => html`<li>${time(event.at)}: ${eventWords(event, nameOf)}</li>`,
  );
  return consolePage(status, {
    title: `${ticket.number}: ${ticket.type === 'access' ? (entitlement?.name ?? ticket.entitlement) : 'support request'}`,
    viewer: request,
    active: '/console/requests',
    body: html`${noticeBanner(notices, request.query.notice)}${formProblems(state, ['text', 'reason', 'duration', 'justification', 'rating', 'comment'])}
<section class="card"><dl>${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>${waiting}</section>
<section class="card"><h2>Timeline</h2><p class="muted" data-zone>Times are shown in UTC.</p><ol class="timeline">${timeline}</ol></section>
${actions(request, ticket, state)}`,
  });
}

function actions(viewer: Viewer, ticket: Awaited<ReturnType<typeof getRequest>>, state: FormState): Html {
  const value = (name: string) => (state.values.form && state.values[name]) || '';
  const rating = feedbackForm(viewer, ticket, state, value);
  if (ticket.status === 'closed') return rating;
  const canCancel = ticket.requester === viewer.caller.id && ticket.status !== 'revoking';
  const canExtend =
    ticket.status === 'active' && ticket.grant?.until && ticket.beneficiary === viewer.caller.id;
  return html`${rating}<section class="card"><h2>Comment</h2><form method="post" action="/console/requests/${ticket.id}/comment">${csrfField(viewer)}<input type="hidden" name="key" value="${formKey(emptyForm())}">
<label for="text">Your comment (everyone on the request is emailed)</label><textarea id="text" name="text"${invalid(state, 'text')}>${value('text')}</textarea>${fieldError(state, 'text')}
<div class="actions"><button type="submit">Add comment</button></div></form></section>
${
  canExtend
    ? html`<section class="card"><h2>Extend</h2><form method="post" action="/console/requests/${ticket.id}/extend">${csrfField(viewer)}<input type="hidden" name="key" value="${formKey(emptyForm())}">
<label for="duration">How much longer (ISO 8601: P7D is 7 days)</label><input id="duration" name="duration" value="${value('duration')}"${invalid(state, 'duration')}>${fieldError(state, 'duration')}
<label for="ext-justification">Why it is still needed</label><textarea id="ext-justification" name="justification"${invalid(state, 'justification')}>${value('justification')}</textarea>${fieldError(state, 'justification')}
<div class="actions"><button type="submit">Ask for more time</button></div></form></section>`
    : ''
}
${
  canCancel
    ? html`<section class="card"><h2>Cancel</h2><form method="post" action="/console/requests/${ticket.id}/cancel" data-confirm="Cancel this request?">${csrfField(viewer)}
<label for="reason">Why (optional)</label><input id="reason" name="reason" value="${value('reason')}">${fieldError(state, 'reason')}
<div class="actions"><button type="submit" class="danger">Cancel the request</button></div></form></section>`
    : ''
}`;
}

/** Once the request is resolved, its requester rates it here as from the survey's link: once. */
function feedbackForm(
  viewer: Viewer,
  ticket: Awaited<ReturnType<typeof getRequest>>,
  state: FormState,
  value: (name: string) => string,
): Html {
  if (ticket.requester !== viewer.caller.id || !resolution(ticket)) return html``;
  if (ticket.feedback) {
    return html`<section class="card"><h2>Your rating</h2><p>You rated this request ${ticket.feedback.rating} of 5${
      ticket.feedback.comment ? html`: “${ticket.feedback.comment}”` : ''
    }.</p></section>`;
  }
  const choices = [1, 2, 3, 4, 5].map(
    (rating) =>
      html`<label class="inline"><input type="radio" name="rating" value="${String(rating)}"${
        value('rating') === String(rating) ? html` checked` : html``
      }> ${String(rating)}${rating === 1 ? ' (poor)' : rating === 5 ? ' (excellent)' : ''}</label>`,
  );
  return html`<section class="card"><h2>How did it go?</h2><form method="post" action="/console/requests/${ticket.id}/feedback">${csrfField(viewer)}
<fieldset${invalid(state, 'rating')}><legend>Your rating, from 1 (poor) to 5 (excellent)</legend>${choices}</fieldset>${fieldError(state, 'rating')}
<label for="comment">Comment (optional)</label><textarea id="comment" name="comment" maxlength="2000"${invalid(state, 'comment')}>${value('comment')}</textarea>${fieldError(state, 'comment')}
<div class="actions"><button type="submit">Send rating</button></div></form></section>`;
}
