import { previewByPolicy } from '../../app/policy-decisions';
import { submitRequest } from '../../app/submit-request';
import type { Entitlement, Identity, System } from '../../domain/directory';
import { supportCategories, urgencies } from '../../domain/intake';
import type { PolicyOutcome } from '../../domain/policy/outcome';
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
import { type Html, html } from './html';
import { consolePage, csrfField, seeOther, type Viewer } from './layout';
import { pageRoute } from './session';
import { durationWords, stageWords } from './words';

/**
 * GET /console/catalog: what can be requested, and what each entitlement needs for the viewer (what
 * policy would decide now, its stages and caps, in words). GET /console/requests/new: the request
 * form; its POST files through the same use case as POST /requests, and shows that use case's
 * field messages when it refuses.
 */
export const handler = pageRoute({ deps: getPolicyDeps }, async (request, deps) => {
  if (request.method === 'POST') {
    const values = Object.fromEntries(request.form);
    try {
      const { ticket } = await submitRequest(deps, {
        caller: request.caller,
        body: bodyFrom(request.form),
        idempotencyKey: optional(request.form.get('key')),
      });
      return seeOther(`/console/requests/${ticket.id}?notice=filed`);
    } catch (error) {
      return requestForm(400, request, deps, refusedForm(error, values));
    }
  }
  if (request.path === '/console/catalog') return catalogPage(request, deps);
  return requestForm(200, request, deps, emptyForm(request.query));
});

function bodyFrom(form: URLSearchParams): Record<string, unknown> {
  if (form.get('type') === 'support') {
    return {
      type: 'support',
      category: form.get('category') ?? '',
      urgency: form.get('urgency') ?? 'normal',
      description: form.get('description') ?? '',
    };
  }
  const [system, entitlement] = (form.get('target') ?? '').split('/');
  return {
    type: 'access',
    system: system ?? '',
    entitlement: entitlement ?? '',
    beneficiary: optional(form.get('beneficiary')),
    justification: form.get('justification') ?? '',
    urgency: form.get('urgency') ?? 'normal',
    duration: optional(form.get('duration')),
    evidence: (form.get('evidence') ?? '').split(/\s+/).filter((line) => line !== ''),
  };
}

async function catalogPage(viewer: Viewer, deps: PolicyDeps) {
  const systems = await deps.directory.catalog();
  const now = deps.clock.now();
  const cards = await Promise.all(
    systems.map(async (system) => {
      const owner = (await deps.directory.identity(system.ownerId))?.name ?? system.ownerId;
      const rows = await Promise.all(
        system.entitlements.map(async (entitlement) => {
          const outcome = await previewByPolicy(
            deps,
            {
              requester: viewer.caller,
              beneficiary: viewer.caller,
              system,
              entitlement,
              urgency: 'normal',
              duration: null,
              justification: '',
              evidenceCount: 0,
            },
            now,
          );
          return html`<tr><td><strong>${entitlement.name}</strong><br><span class="muted">${entitlement.id} · ${entitlement.class}</span></td>
<td>${needsWords(outcome)}<br><span class="muted">${capWords(entitlement, outcome, deps)}</span></td>
<td><a class="button" href="/console/requests/new?target=${system.id}/${entitlement.id}">Request<span class="visually-hidden"> ${entitlement.name}</span></a></td></tr>`;
        }),
      );
      return html`<section class="card"><h2>${system.name}</h2><p class="muted">Owned by ${owner} · sensitivity ${system.sensitivity} · ${
        system.fulfilment.mode === 'manual' ? 'set up by hand by its fulfillers' : 'set up automatically'
      }</p><div class="scroll"><table><thead><tr><th scope="col">Entitlement</th><th scope="col">What it needs for you</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
    }),
  );
  return consolePage(200, {
    title: 'Request access',
    viewer,
    active: '/console/catalog',
    body: html`<p>What each entitlement needs if you ask for it for yourself now, as the live policies decide it. For a service account you own the answer may differ. <a href="/console/requests/new?type=support">Ask the service desk for help instead</a>.</p>${cards}`,
  });
}

function needsWords(outcome: PolicyOutcome): Html {
  if (outcome.outcome === 'auto_approved') return html`Approved at once: ${outcome.reason ?? 'by policy'}.`;
  if (outcome.outcome === 'auto_rejected') return html`Refused for you: ${outcome.reason ?? 'by policy'}.`;
  const stages = outcome.stages.map((stage) => stageWords[stage.stage] ?? stage.stage);
  return html`Approval by ${stages.join(', then ')} (${plural(stages.length)}).`;
}

const plural = (count: number) => (count === 1 ? 'one stage' : `${count} stages`);

function capWords(entitlement: Entitlement, outcome: PolicyOutcome, deps: PolicyDeps): string {
  const cap =
    entitlement.maxDuration ?? (entitlement.class === 'admin' ? deps.settings.adminDefaultMaxDuration : null);
  const parts = [cap ? `At most ${durationWords(cap)}` : 'Standing access allowed'];
  if (outcome.cap) parts.push(`policy caps it at ${durationWords(outcome.cap.max)}`);
  return `${parts.join('; ')}.`;
}

async function requestForm(status: number, viewer: Viewer, deps: PolicyDeps, state: FormState) {
  const support = (state.values.type ?? '') === 'support';
  const body = support ? supportForm(viewer, state) : await accessForm(viewer, deps, state);
  return consolePage(status, {
    title: support ? 'Ask for help' : 'Request access',
    viewer,
    active: '/console/catalog',
    body,
  });
}

async function accessForm(viewer: Viewer, deps: PolicyDeps, state: FormState): Promise<Html> {
  const [systems, owned] = await Promise.all([
    deps.directory.catalog(),
    deps.directory.serviceAccountsOwnedBy(viewer.caller.id),
  ]);
  const value = (name: string, fallback = '') => state.values[name] ?? fallback;
  const options = systems.flatMap((system: System) =>
    system.entitlements.map((entitlement) => {
      const id = `${system.id}/${entitlement.id}`;
      return html`<option value="${id}"${id === value('target') ? html` selected` : ''}>${system.name}: ${entitlement.name}</option>`;
    }),
  );
  const beneficiaries = [viewer.caller, ...owned].map(
    (person: Identity) =>
      html`<option value="${person.id === viewer.caller.id ? '' : person.id}"${person.id === value('beneficiary') ? html` selected` : ''}>${person.id === viewer.caller.id ? `Me (${person.name})` : `${person.name} (${person.id})`}</option>`,
  );
  const shown = ['system', 'entitlement', 'beneficiary', 'justification', 'urgency', 'duration', 'evidence'];
  return html`${formProblems(state, shown)}<form method="post" action="/console/requests/new" class="card" novalidate>${csrfField(viewer)}
<input type="hidden" name="type" value="access"><input type="hidden" name="key" value="${formKey(state)}">
<label for="target">What you need</label><select id="target" name="target"${invalid(state, 'entitlement')}>${options}</select>${fieldError(state, 'system')}${fieldError(state, 'entitlement')}
<label for="beneficiary">For whom</label><select id="beneficiary" name="beneficiary"${invalid(state, 'beneficiary')}>${beneficiaries}</select>${fieldError(state, 'beneficiary')}
<label for="justification">Why you need it</label><textarea id="justification" name="justification"${invalid(state, 'justification')}>${value('justification')}</textarea>${fieldError(state, 'justification')}
<label for="urgency">Urgency</label><select id="urgency" name="urgency">${urgencies.map((urgency) => html`<option${urgency === value('urgency', 'normal') ? html` selected` : ''}>${urgency}</option>`)}</select>${fieldError(state, 'urgency')}
<label for="duration">For how long (optional, ISO 8601: P7D is 7 days, PT8H is 8 hours)</label><input id="duration" name="duration" value="${value('duration')}"${invalid(state, 'duration')}>${fieldError(state, 'duration')}
<label for="evidence">Evidence links (optional, one per line: a ticket, a runbook)</label><textarea id="evidence" name="evidence"${invalid(state, 'evidence')}>${value('evidence')}</textarea>${fieldError(state, 'evidence')}
<div class="actions"><button type="submit">File the request</button><a href="/console/catalog">Back to the catalog</a></div></form>`;
}

function supportForm(viewer: Viewer, state: FormState): Html {
  const value = (name: string, fallback = '') => state.values[name] ?? fallback;
  return html`${formProblems(state, ['category', 'urgency', 'description'])}<form method="post" action="/console/requests/new" class="card" novalidate>${csrfField(viewer)}
<input type="hidden" name="type" value="support"><input type="hidden" name="key" value="${formKey(state)}">
<label for="category">What it is about</label><select id="category" name="category">${supportCategories.map((category) => html`<option${category === value('category') ? html` selected` : ''}>${category}</option>`)}</select>${fieldError(state, 'category')}
<label for="urgency">Urgency</label><select id="urgency" name="urgency">${urgencies.map((urgency) => html`<option${urgency === value('urgency', 'normal') ? html` selected` : ''}>${urgency}</option>`)}</select>${fieldError(state, 'urgency')}
<label for="description">What is wrong</label><textarea id="description" name="description"${invalid(state, 'description')}>${value('description')}</textarea>${fieldError(state, 'description')}
<div class="actions"><button type="submit">Send to the service desk</button></div></form>`;
}
