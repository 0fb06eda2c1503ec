import { readLivePolicies, readPolicyVersion, replacePolicies } from '../../app/policies';
import { readSimulation, type SimulationView, startSimulation } from '../../app/simulations';
import { assertWorkplace } from '../../app/workplaces';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import type { Policies } from '../../domain/policy/policy-set';
import { describeChanges } from '../../domain/policy/simulation';
import { getPolicyDeps, type PolicyDeps } from '../policy-deps';
import { emptyForm, type FormState, fieldError, formProblems, invalid, optional, refusedForm } from './forms';
import { type Html, html, time } from './html';
import { consolePage, csrfField, noticeBanner, seeOther } from './layout';
import { type PageRequest, pageRoute } from './session';
import { durationWords, stageWords } from './words';

const notices = new Map([['saved', 'The new policies are live: the next request is decided by them.']]);

/** Each policy's text is a field of its own, named as the API names its errors: `policies.{id}`. */
const POLICY_FIELD = 'policies.';

/**
 * An admin's policies, changed only through a simulation: GET /console/admin/policies shows the
 * live set to edit; POST .../simulate checks the edited set as PUT /policies would and starts its
 * simulation over the last 90 days (POST /policies/simulations), also for a rule candidate the
 * dashboard proposes (`addId`, `addText`: the live set with that policy added);
 * /console/admin/policies/simulations/{id} shows what would change, and its form makes that very
 * candidate live (PUT /policies, If-Match on the live version the simulation started from).
 */
export const handler = pageRoute({ deps: getPolicyDeps }, async (request, deps) => {
  assertWorkplace(request.workplaces, 'admin');
  const [, , , , section, id, action] = request.path.split('/');
  if (section === undefined) return editorPage(200, request, deps, emptyForm());
  if (section === 'simulate' && request.method === 'POST') return simulate(request, deps);
  if (section === 'simulations' && id && request.method === 'GET') return simulationPage(request, deps, id);
  if (section === 'simulations' && id && action === 'save') return save(request, deps, id);
  throw new NotFoundError('No such page');
});

async function editorPage(status: number, request: PageRequest, deps: PolicyDeps, state: FormState) {
  const live = await readLivePolicies(deps, request.caller);
  const edited = state.values.base !== undefined;
  const textOf = (id: string) =>
    edited ? (state.values[`${POLICY_FIELD}${id}`] ?? '') : (live.policies[id] ?? '');
  const fields = Object.keys(live.policies)
    .sort()
    .map((id) => {
      const name = `${POLICY_FIELD}${id}`;
      return html`<label for="${name}">${id}</label><textarea id="${name}" name="${name}" rows="${String(Math.min(14, textOf(id).split('\n').length + 1))}" spellcheck="false"${invalid(state, name)}>${textOf(id)}</textarea>${fieldError(state, name)}`;
    });
  const addId = state.values.addId ?? '';
  const addedField = `${POLICY_FIELD}${addId}`;
  return consolePage(status, {
    title: 'Policies',
    viewer: request,
    active: '/console/admin',
    body: html`${noticeBanner(notices, request.query.notice)}<section class="card"><dl><dt>Live version</dt><dd><code>${live.version}</code></dd><dt>Published</dt><dd>${live.createdBy ? html`${time(live.createdAt)} by ${live.createdBy}` : 'the baseline from policies/, as deployed'}</dd></dl>
<p>A change is simulated on the last 90 days of tickets first; you see what it would have decided differently, and only then make it live. Empty a policy's text to remove it.</p></section>
${formProblems(state, [...Object.keys(live.policies).map((id) => `${POLICY_FIELD}${id}`), 'addId', addedField, 'policies'])}
<form method="post" action="/console/admin/policies/simulate">${csrfField(request)}<input type="hidden" name="base" value="${live.version}">
<section class="card"><h2>The policies</h2>${fields}</section>
<section class="card"><h2>A new policy</h2><label for="addId">Its id (letters, digits, dots, dashes)</label><input id="addId" name="addId" value="${addId}"${invalid(state, 'addId')}>${fieldError(state, 'addId')}
<label for="addText">Its Cedar text</label><textarea id="addText" name="addText" rows="8" spellcheck="false"${invalid(state, addedField)}>${state.values.addText ?? ''}</textarea>${addId ? fieldError(state, addedField) : ''}${fieldError(state, 'policies')}</section>
<div class="actions"><button type="submit">Simulate the change</button></div></form>`,
  });
}

/** The candidate set from the form: the edited policies (or the live ones), and the new one if named. */
async function candidateFrom(
  request: PageRequest,
  deps: PolicyDeps,
): Promise<{ policies: Policies; base: string }> {
  const form = request.form;
  const edited = form.has('base');
  const live = await readLivePolicies(deps, request.caller);
  const policies: Policies = {};
  if (edited) {
    for (const [name, text] of form) {
      if (name.startsWith(POLICY_FIELD) && text.trim()) policies[name.slice(POLICY_FIELD.length)] = text;
    }
  } else {
    Object.assign(policies, live.policies);
  }
  const addId = optional(form.get('addId'));
  const addText = optional(form.get('addText'));
  if (addText && !addId)
    throw new ValidationError('Name the new policy', { addId: 'is required with a Cedar text' });
  if (addId && !addText) {
    throw new ValidationError('The new policy has no text', { [`${POLICY_FIELD}${addId}`]: 'is required' });
  }
  if (addId && addText) {
    if (edited && form.has(`${POLICY_FIELD}${addId}`)) {
      throw new ValidationError('A policy has that id already', {
        addId: `${addId} is a policy of the set already`,
      });
    }
    policies[addId] = addText;
  }
  return { policies, base: edited ? (form.get('base') ?? live.version) : live.version };
}

async function simulate(request: PageRequest, deps: PolicyDeps) {
  const values = Object.fromEntries(request.form);
  try {
    const { policies, base } = await candidateFrom(request, deps);
    const { id } = await startSimulation(deps, request.caller, { policies });
    return seeOther(`/console/admin/policies/simulations/${id}?base=${base}`);
  } catch (error) {
    // A proposal from the dashboard sends no edited set (no `base`): the editor shows it beside the live one.
    return editorPage(400, request, deps, refusedForm(error, values));
  }
}

async function simulationPage(request: PageRequest, deps: PolicyDeps, id: string, problem?: string) {
  const view = await readSimulation(deps, request.caller, id);
  const base = request.query.base ?? request.form.get('base') ?? '';
  const running = view.status === 'queued' || view.status === 'running';
  const [candidate, live] = await Promise.all([
    readPolicyVersion(deps, request.caller, view.candidate),
    readLivePolicies(deps, request.caller),
  ]);
  // The diff is against the set the change was made from; a base no longer stored shows against the live set.
  const from =
    base && base !== live.version
      ? await readPolicyVersion(deps, request.caller, base).catch((error: unknown) => {
          if (error instanceof NotFoundError) return live;
          throw error;
        })
      : live;
  return consolePage(problem ? 409 : 200, {
    title: 'A policy change, simulated',
    viewer: request,
    active: '/console/admin',
    refreshSeconds: running ? 2 : undefined,
    body: html`${problem ? html`<div class="problem" role="alert"><p>${problem}</p></div>` : ''}
<section class="card"><h2>What changes</h2>${changedPolicies(from.policies, candidate.policies)}</section>
<section class="card" aria-live="polite"><h2>On the tickets of ${view.from.slice(0, 10)} to ${view.to.slice(0, 10)}</h2>${simulationResult(view)}</section>
${
  view.status === 'done' && !candidate.live
    ? html`<form method="post" action="/console/admin/policies/simulations/${view.id}/save">${csrfField(request)}<input type="hidden" name="base" value="${base || live.version}"><div class="actions"><button type="submit">Make it live</button> <a href="/console/admin/policies">Edit again</a></div></form>`
    : candidate.live
      ? html`<p>This set is live.</p>`
      : ''
}`,
  });
}

function changedPolicies(from: Policies, to: Policies): Html {
  const ids = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  const rows = ids.flatMap((id) => {
    if (!(id in from)) return [html`<li><strong>Added</strong> <code>${id}</code><pre>${to[id]}</pre></li>`];
    if (!(id in to)) return [html`<li><strong>Removed</strong> <code>${id}</code></li>`];
    if (from[id] !== to[id])
      return [html`<li><strong>Changed</strong> <code>${id}</code><pre>${to[id]}</pre></li>`];
    return [];
  });
  return rows.length ? html`<ul>${rows}</ul>` : html`<p>The same policies as the live set.</p>`;
}

/** A simulation's progress, then its result in words: the outcomes, stages and caps that would change. */
export function simulationResult(view: SimulationView): Html {
  if (view.status === 'failed')
    return html`<p class="error">The simulation failed: ${view.error?.message ?? 'no reason given'}.</p>`;
  if (!view.result) {
    const { done, total } = view.progress;
    return html`<p>Simulating: ${String(done)}${total === null ? '' : ` of ${total}`} tickets (this page reloads itself).</p>`;
  }
  const result = view.result;
  const changes = describeChanges(result);
  const stages = result.stages.map(
    (row) =>
      html`<li>${String(row.count)} would ${row.change === 'added' ? 'also need' : 'no longer need'} ${stageWords[row.stage] ?? row.stage}</li>`,
  );
  const caps = result.caps.map(
    (row) =>
      html`<li>${String(row.count)} were granted longer than ${durationWords(row.max)}, the cap of <code>${row.policyId}</code></li>`,
  );
  const notReplayable = result.notReplayable.reduce((sum, row) => sum + row.count, 0);
  return html`<p>${String(result.examined)} access tickets, ${String(result.replayed)} replayed on the inputs policy saw; ${String(result.changed)} would be decided differently.</p>
${changes.length ? html`<ul>${changes.map((change) => html`<li>${change}</li>`)}</ul>` : html`<p>No outcome would change.</p>`}
${stages.length ? html`<h3>Approval stages</h3><ul>${stages}</ul>` : ''}${caps.length ? html`<h3>Duration caps</h3><ul>${caps}</ul>` : ''}
${notReplayable ? html`<p class="muted">${String(notReplayable)} could not be replayed (decided before policies kept their inputs, or their inputs are gone).</p>` : ''}`;
}

async function save(request: PageRequest, deps: PolicyDeps, id: string) {
  const view = await readSimulation(deps, request.caller, id);
  if (view.status !== 'done')
    return simulationPage(request, deps, id, 'Wait for the simulation to finish before making it live.');
  const candidate = await readPolicyVersion(deps, request.caller, view.candidate);
  try {
    await replacePolicies(deps, request.caller, {
      body: { policies: candidate.policies },
      ifMatch: request.form.get('base') ?? undefined,
    });
  } catch (error) {
    if (error instanceof ConflictError) {
      return simulationPage(
        request,
        deps,
        id,
        'The live policies changed since this simulation started: edit them again, and simulate the change on what is live now.',
      );
    }
    throw error;
  }
  return seeOther('/console/admin/policies?notice=saved');
}
