import { putCatalogSystem, putDirectoryEntry } from '../../app/identity-changes';
import { listDeliveries, redriveDelivery } from '../../app/outbound';
import { readLivePolicies } from '../../app/policies';
import { assertWorkplace } from '../../app/workplaces';
import type { Identity, System } from '../../domain/directory';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { type Delivery, deliveryStatuses } from '../../domain/outbound/deliveries';
import { parseOrThrow } from '../../domain/validation';
import { listDeliveriesQuery } from '../http/schemas';
import { getPolicyDeps, type PolicyDeps } from '../policy-deps';
import { emptyForm, type FormState, formProblems, invalid, refusedForm } from './forms';
import { html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther } from './layout';
import { type PageRequest, pageRoute } from './session';

const notices = new Map([
  ['system-saved', 'The system was saved: new requests use it now.'],
  ['identity-saved', 'The entry was saved, and the open tickets it touches were updated.'],
  ['redriven', 'The delivery is pending again, with 24 hours of retries: the dispatcher is sending it now.'],
]);

const kinds = {
  catalog: {
    read: (deps: PolicyDeps, id: string) => deps.directoryStore.system(id),
    put: putCatalogSystem,
    what: 'system',
    notice: 'system-saved',
  },
  directory: {
    read: (deps: PolicyDeps, id: string) => deps.directoryStore.identity(id),
    put: putDirectoryEntry,
    what: 'directory entry',
    notice: 'identity-saved',
  },
} as const;

type Kind = keyof typeof kinds;

/**
 * An admin's catalog and directory. GET /console/admin lists the systems and the identities, the
 * service accounts whose owner departed first; /console/admin/{catalog|directory}/{id} shows one
 * entry as PUT /catalog/systems/{id} or PUT /directory/{id} takes it, and its form saves it through
 * that use case, with its messages by field path.
 */
export const handler = pageRoute({ deps: getPolicyDeps }, async (request, deps) => {
  assertWorkplace(request.workplaces, 'admin');
  const [, , , section, id] = request.path.split('/');
  if (section === undefined) return overviewPage(request, deps);
  if (section === 'deliveries' && !id) return deliveriesPage(request, deps);
  if (section === 'deliveries' && id && request.method === 'POST') return redrive(request, deps, id);
  if ((section === 'catalog' || section === 'directory') && id) {
    if (request.method === 'GET') return entryPage(200, request, deps, section, id, emptyForm());
    return saveEntry(request, deps, section, id);
  }
  throw new NotFoundError('No such page');
});

async function overviewPage(request: PageRequest, deps: PolicyDeps) {
  const [live, catalog, identities] = await Promise.all([
    readLivePolicies(deps, request.caller),
    deps.directory.catalog(),
    deps.directoryStore.allIdentities(),
  ]);
  const nameOf = new Map(identities.map((identity) => [identity.id, identity.name]));
  const named = (id: string | null) => (id ? `${nameOf.get(id) ?? id}` : '–');
  const flagged = identities.filter((identity) => identity.ownerDeparted);
  const systems = [...catalog]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (
        system: System,
      ) => html`<tr><td><a href="/console/admin/catalog/${system.id}">${system.name}</a><br><span class="muted">${system.id}</span></td>
<td>${named(system.ownerId)}</td><td>${system.sensitivity}</td><td>${system.fulfilment.mode}</td><td>${system.entitlements.map((entitlement) => entitlement.id).join(', ')}</td></tr>`,
    );
  const people = [...identities]
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
    .map(
      (
        identity: Identity,
      ) => html`<tr><td><a href="/console/admin/directory/${identity.id}">${identity.name}</a><br><span class="muted">${identity.id}</span></td>
<td>${identity.kind === 'service' ? 'service account' : 'person'}</td><td>${identity.department}</td>
<td>${identity.kind === 'service' ? html`owner ${named(identity.ownerId)}${identity.ownerDeparted ? html` <span class="badge">owner departed</span>` : ''}` : html`manager ${named(identity.managerId)}`}</td>
<td>${identity.status}</td><td>${identity.roles.join(', ') || '–'}</td></tr>`,
    );
  return consolePage(200, {
    title: 'Admin',
    viewer: request,
    active: '/console/admin',
    body: html`${noticeBanner(notices, request.query.notice)}
<section class="card"><h2>Policies</h2><p>Live version <code>${live.version.slice(0, 12)}…</code>, ${String(Object.keys(live.policies).length)} policies. <a href="/console/admin/policies">Change them</a> (every change is simulated first).</p></section>
${
  flagged.length
    ? html`<section class="card"><h2>Needs an owner</h2><p>Requests for these service accounts are refused until an admin names a new owner:</p><ul>${flagged.map(
        (identity) =>
          html`<li><a href="/console/admin/directory/${identity.id}">${identity.name}</a> (${identity.id}), owned by ${named(identity.ownerId)}, who departed</li>`,
      )}</ul></section>`
    : ''
}
<section class="card"><h2>Webhooks out</h2><p><a href="/console/admin/deliveries">Deliveries that failed</a>, to send again once the subscriber is back.</p></section>
<section class="card"><h2>Catalog</h2><div class="scroll"><table><thead><tr><th scope="col">System</th><th scope="col">Owner</th><th scope="col">Sensitivity</th><th scope="col">Fulfilment</th><th scope="col">Entitlements</th></tr></thead><tbody>${systems}</tbody></table></div></section>
<section class="card"><h2>Directory</h2><div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Department</th><th scope="col">Reports to, or owned by</th><th scope="col">Status</th><th scope="col">Roles</th></tr></thead><tbody>${people}</tbody></table></div></section>`,
  });
}

async function entryPage(
  status: number,
  request: PageRequest,
  deps: PolicyDeps,
  kind: Kind,
  id: string,
  state: FormState,
) {
  const entry = await kinds[kind].read(deps, id);
  if (!entry) throw new NotFoundError(`No ${kinds[kind].what} ${id}`);
  const text = state.values.entry ?? JSON.stringify(entry, null, 2);
  const problems = Object.entries(state.fields).map(
    ([path, message]) => html`<li><code>${path}</code>: ${message}</li>`,
  );
  return consolePage(status, {
    title: `${entry.name}: ${kinds[kind].what}`,
    viewer: request,
    active: '/console/admin',
    body: html`<section class="card"><p>As <code>PUT /${kind === 'catalog' ? 'catalog/systems' : 'directory'}/${id}</code> takes it. A change takes effect at once on the open tickets it touches.</p>
${state.message ? html`<div class="problem" role="alert" id="entry-error"><p>${state.message}</p>${problems.length ? html`<ul>${problems}</ul>` : ''}</div>` : formProblems(state, [])}
<form method="post" action="/console/admin/${kind}/${id}">${csrfField(request)}<label for="entry">The ${kinds[kind].what}, in JSON</label><textarea id="entry" name="entry" rows="${String(Math.min(30, text.split('\n').length + 1))}" spellcheck="false"${state.message ? html` aria-invalid="true" aria-describedby="entry-error"` : invalid(state, 'entry')}>${text}</textarea>
<div class="actions"><button type="submit">Save</button> <a href="/console/admin">Back</a></div></form></section>`,
  });
}

async function saveEntry(request: PageRequest, deps: PolicyDeps, kind: Kind, id: string) {
  const values = Object.fromEntries(request.form);
  try {
    let body: unknown;
    try {
      body = JSON.parse(values.entry ?? '');
    } catch (error) {
      throw new ValidationError('The entry is not JSON', { entry: (error as Error).message });
    }
    await kinds[kind].put({ ...deps, directory: deps.directoryStore }, { caller: request.caller, id, body });
    return seeOther(`/console/admin?notice=${kinds[kind].notice}`);
  } catch (error) {
    return entryPage(400, request, deps, kind, id, refusedForm(error, values));
  }
}

/** GET /console/admin/deliveries?status=: outbound deliveries in one status, as GET /webhooks/deliveries lists them. */
async function deliveriesPage(request: PageRequest, deps: PolicyDeps, problem?: string) {
  const query = parseOrThrow(
    listDeliveriesQuery,
    {
      ...(request.query.status ? { status: request.query.status } : {}),
      ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
    },
    'query',
  );
  const { items, next } = await listDeliveries(deps, request.caller, query);
  const tabs = deliveryStatuses.map((status) =>
    status === query.status
      ? html`<strong aria-current="page">${status}</strong>`
      : html`<a href="/console/admin/deliveries?status=${status}">${status}</a>`,
  );
  const row = (delivery: Delivery) => html`<li><h3>${delivery.event.type} to ${delivery.subscriber}</h3>
<p>Ticket <code>${delivery.ticket}</code>, event of ${time(delivery.event.at)}; ${String(delivery.attempts)} attempts${
    delivery.lastAttempt
      ? html`, the last ${time(delivery.lastAttempt.at)}: ${delivery.lastAttempt.result}`
      : ''
  }${delivery.failedAt ? html`; given up ${time(delivery.failedAt)}` : ''}${delivery.deliveredAt ? html`; delivered ${time(delivery.deliveredAt)}` : ''}.</p>
${
  delivery.status === 'failed'
    ? html`<form method="post" action="/console/admin/deliveries/${delivery.id}/redrive">${csrfField(request)}<div class="actions"><button type="submit">Send it again</button></div></form>`
    : ''
}</li>`;
  return consolePage(problem ? 409 : 200, {
    title: 'Webhook deliveries',
    viewer: request,
    active: '/console/admin',
    body: html`${noticeBanner(notices, request.query.notice)}${problem ? html`<div class="problem" role="alert"><p>${problem}</p></div>` : ''}
<p>${tabs.map((tab, index) => html`${index ? ' · ' : ''}${tab}`)}</p>
<section class="card">${items.length ? html`<ul class="entries">${items.map(row)}</ul>` : html`<p>No ${query.status} deliveries.</p>`}
${next ? html`<p><a href="/console/admin/deliveries?${new URLSearchParams({ status: query.status, cursor: next }).toString()}">More</a></p>` : ''}</section>`,
  });
}

async function redrive(request: PageRequest, deps: PolicyDeps, id: string) {
  try {
    await redriveDelivery(deps, request.caller, id);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return deliveriesPage(request, deps, error.message);
  }
  return seeOther('/console/admin/deliveries?status=pending&notice=redriven');
}
