import { listInbox } from '../../app/inbox';
import { listRequests } from '../../app/read-requests';
import { html } from './html';
import { consolePage } from './layout';
import { pageRoute } from './session';

/** GET /: where each part of the console the viewer works in stands, in one line each. */
export const handler = pageRoute({}, async (request, deps) => {
  const [mine, approvals, fulfilments] = await Promise.all([
    listRequests(deps, request.caller, { mine: true, limit: 50 }),
    request.workplaces.approver ? listInbox(deps, request.caller, 'approval', { limit: 50 }) : null,
    request.workplaces.fulfiller || request.workplaces.support
      ? listInbox(deps, request.caller, 'fulfilment', { limit: 50 })
      : null,
  ]);
  const open = mine.items.filter((ticket) => ticket.status !== 'closed').length;
  const count = (items: { ticket: { type: string } }[] | undefined, type: string) =>
    (items ?? []).filter((item) => item.ticket.type === type).length;
  return consolePage(200, {
    title: `Hello, ${request.caller.name}`,
    viewer: request,
    active: '/',
    body: html`<section class="card"><h2>Your requests</h2><p>${open === 0 ? 'None open.' : `${open} open.`} <a href="/console/requests">See them</a> · <a href="/console/catalog">Request access</a> · <a href="/console/requests/new?type=support">Ask for help</a></p></section>
${approvals ? html`<section class="card"><h2>Approvals</h2><p>${approvals.items.length} waiting for your decision. <a href="/console/approvals">Open the inbox</a></p></section>` : ''}
${request.workplaces.fulfiller ? html`<section class="card"><h2>Fulfilment</h2><p>${count(fulfilments?.items, 'access')} to set up. <a href="/console/fulfilments">Open the tasks</a></p></section>` : ''}
${request.workplaces.support ? html`<section class="card"><h2>Support queue</h2><p>${count(fulfilments?.items, 'support')} open. <a href="/console/support">Open the queue</a></p></section>` : ''}`,
  });
});
