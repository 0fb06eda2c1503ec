import { createDelegation, listDelegations } from '../../app/delegations';
import { assertWorkplace } from '../../app/workplaces';
import type { Deps } from '../deps';
import { emptyForm, type FormState, fieldError, formProblems, invalid, refusedForm } from './forms';
import { html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';

const notices = new Map([['set', 'Delegation set: approvals that open in that window ask them too.']]);

/** A `datetime-local` value, read as UTC as the form says. */
const utc = (value: string | null) =>
  value && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : (value ?? '');

/**
 * GET /console/delegations: the delegations the approver gave and received; its POST sets one
 * through the use case of POST /delegations.
 */
export const handler = pageRoute({}, async (request, deps) => {
  assertWorkplace(request.workplaces, 'approver');
  if (request.method === 'GET') return delegationsPage(200, request, deps, emptyForm());
  const values = Object.fromEntries(request.form);
  try {
    await createDelegation(deps, request.caller, {
      delegate: request.form.get('delegate') ?? '',
      from: utc(request.form.get('from')),
      until: utc(request.form.get('until')),
    });
    return seeOther('/console/delegations?notice=set');
  } catch (error) {
    return delegationsPage(400, request, deps, refusedForm(error, values));
  }
});

async function delegationsPage(status: number, request: PageRequest, deps: Deps, state: FormState) {
  const { items } = await listDelegations(deps, request.caller, { limit: 50 });
  const nameOf = await namesFor(
    deps.directory,
    items.flatMap((item) => [item.owner, item.delegate]),
  );
  const value = (name: string) => state.values[name] ?? '';
  const rows = items.map(
    (item) =>
      html`<tr><td>${item.owner === request.caller.id ? `You → ${nameOf(item.delegate)}` : `${nameOf(item.owner)} → you`}</td><td>${time(item.from)}</td><td>${time(item.until)}</td><td>${item.status}</td></tr>`,
  );
  return consolePage(status, {
    title: 'Delegations',
    viewer: request,
    active: '/console/approvals',
    body: html`${noticeBanner(notices, request.query.notice)}
${formProblems(state, ['delegate', 'from', 'until'])}
<section class="card"><h2>Have someone asked alongside you</h2><p>Approvals that open in the window ask your delegate as well as you; the first answer counts.</p>
<form method="post" action="/console/delegations">${csrfField(request)}
<label for="delegate">Their directory id (an email address)</label><input id="delegate" name="delegate" value="${value('delegate')}"${invalid(state, 'delegate')}>${fieldError(state, 'delegate')}
<label for="from">From (UTC)</label><input id="from" name="from" type="datetime-local" value="${value('from')}"${invalid(state, 'from')}>${fieldError(state, 'from')}
<label for="until">Until (UTC)</label><input id="until" name="until" type="datetime-local" value="${value('until')}"${invalid(state, 'until')}>${fieldError(state, 'until')}
<div class="actions"><button type="submit">Set the delegation</button></div></form></section>
<section class="card scroll"><h2>Given and received</h2>${
      rows.length
        ? html`<table><thead><tr><th scope="col">Who</th><th scope="col">From</th><th scope="col">Until</th><th scope="col">Status</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<p>None.</p>`
    }</section>`,
  });
}
