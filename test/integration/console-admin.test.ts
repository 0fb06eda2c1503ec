import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../../functions/domain/ticket';
import { ConsoleSession } from '../support/console-session';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { eventually } from '../support/workflow-client';

// One runtime for the file: the handlers build their deps once per process.
let tollgate: TestRuntime;

const githubWrite = {
  type: 'access',
  system: 'github',
  entitlement: 'github-write',
  justification: 'Push the release branch for the launch',
};

const autoApproveGithubWrite = [
  '@id("github-write-routine")',
  '@reason("pushing to repositories is routine")',
  'permit (principal is Tollgate::Person, action == Tollgate::Action::"autoApprove", resource == Tollgate::Entitlement::"github-write");',
].join('\n');

beforeAll(async () => {
  tollgate = await startTestRuntime();
  // History to simulate on: one github-write request that Erin, Alex's manager, approved.
  const filed = await (await tollgate.as(people.alex)).post<Ticket>('/requests', githubWrite);
  const erin = await tollgate.as(people.erin);
  const task = await eventually(async () => {
    const inbox = await erin.get<{ items: { id: string; ticket: { id: string } }[] }>('/approvals');
    return inbox.body.items.find((item) => item.ticket.id === filed.body.id);
  });
  await erin.post(`/approvals/${task.id}/decision`, { decision: 'approve' });
});

afterAll(async () => {
  await tollgate?.close();
});

const signedIn = (identity: string) => ConsoleSession.signedIn(tollgate.url, identity);

describe("the admin's pages", () => {
  it('simulate a proposed policy on history, show what it changes, and make it live: the next request is decided by it', async () => {
    // Prepare
    const ivan = await signedIn(people.ivan);

    // Act
    const started = await ivan.submit(
      '/console/admin/policies/simulate',
      { addId: 'github-write-routine', addText: autoApproveGithubWrite },
      '/console/admin/policies',
    );
    const simulated = await eventually(async () => {
      const shown = await ivan.page(started.location);
      return shown.text.includes('Make it live') ? shown.text : undefined;
    });
    const base = /name="base" value="(\w+)"/.exec(simulated)?.[1] ?? '';
    const saved = await ivan.submit(`${started.location.split('?')[0]}/save`, { base }, started.location);
    const next = await (await tollgate.as(people.alex)).post<Ticket>('/requests', githubWrite);

    // Assess
    expect(started.status).toBe(303);
    expect(simulated).toContain('<strong>Added</strong> <code>github-write-routine</code>');
    expect(simulated).toContain('would auto-approve 1 ticket that people approved');
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/console/admin/policies?notice=saved');
    expect(next.body.decision).toMatchObject({
      outcome: 'auto_approved',
      policyIds: ['github-write-routine'],
    });
  });

  it('show a policy Cedar refuses with its line and message under that policy, and start nothing', async () => {
    // Prepare
    const ivan = await signedIn(people.ivan);
    const editor = await ivan.page('/console/admin/policies');
    const fields = Object.fromEntries(
      [
        ...editor.text.matchAll(/<textarea id="(policies\.[^"]+)" name="[^"]+"[^>]*>([^<]*)<\/textarea>/g),
      ].map(([, name = '', text = '']) => [
        name,
        text
          .replaceAll('&#34;', '"')
          .replaceAll('&#39;', "'")
          .replaceAll('&#38;', '&')
          .replaceAll('&#62;', '>')
          .replaceAll('&#60;', '<'),
      ]),
    );
    const base = /name="base" value="(\w+)"/.exec(editor.text)?.[1] ?? '';

    // Act
    const refused = await ivan.submit(
      '/console/admin/policies/simulate',
      {
        ...fields,
        base,
        'policies.inactive-beneficiary': 'permit (principal, action, resource) when { principal.nope };',
      },
      '/console/admin/policies',
    );

    // Assess
    expect(Object.keys(fields).length).toBeGreaterThan(3);
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/<p class="error" id="policies\.inactive-beneficiary-error">[^<]*nope/);
    expect(refused.text).toContain('principal.nope');
  });

  it('refuse to make a simulated set live once the live set changed since', async () => {
    // Prepare
    const ivan = await signedIn(people.ivan);
    const started = await ivan.submit(
      '/console/admin/policies/simulate',
      { addId: 'wiki-edit-routine', addText: autoApproveGithubWrite.replace('github-write', 'wiki-edit') },
      '/console/admin/policies',
    );
    await eventually(async () =>
      (await ivan.page(started.location)).text.includes('Make it live') ? true : undefined,
    );

    // Act
    const refused = await ivan.submit(
      `${started.location.split('?')[0]}/save`,
      { base: '0'.repeat(64) },
      started.location,
    );

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('The live policies changed since this simulation started');
  });

  it('list the catalog and the directory, and save a directory entry through the use case, its messages by field', async () => {
    // Prepare
    const ivan = await signedIn(people.ivan);
    const entry = await ivan.page(`/console/admin/directory/${people.bo}`);
    const json = JSON.parse(
      (/<textarea id="entry"[^>]*>([^<]*)<\/textarea>/.exec(entry.text)?.[1] ?? '{}').replaceAll(
        '&#34;',
        '"',
      ),
    );

    // Act
    const overview = await ivan.page('/console/admin');
    const refused = await ivan.submit(
      `/console/admin/directory/${people.bo}`,
      { entry: JSON.stringify({ ...json, status: 'retired' }) },
      `/console/admin/directory/${people.bo}`,
    );
    const saved = await ivan.submit(
      `/console/admin/directory/${people.bo}`,
      { entry: JSON.stringify({ ...json, title: 'Staff engineer' }) },
      `/console/admin/directory/${people.bo}`,
    );
    // GET /directory reads through each process's directory cache, which takes a few seconds to see it.
    const admin = await tollgate.as(people.ivan);
    const title = await eventually(async () => {
      const bo = await admin.get<{ title: string }>(`/directory/${people.bo}`);
      return bo.body.title === 'Staff engineer' ? bo.body.title : undefined;
    });

    // Assess
    expect(overview.text).toContain('href="/console/admin/catalog/github"');
    expect(overview.text).toContain(`href="/console/admin/directory/${people.bo}"`);
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/<code>status<\/code>: [^<]+/);
    expect(saved.location).toBe('/console/admin?notice=identity-saved');
    expect(title).toBe('Staff engineer');
  });

  it('are refused to an auditor, who oversees but does not change, and to a requester', async () => {
    // Prepare
    const aude = await signedIn(people.aude);
    const alex = await signedIn(people.alex);

    // Act
    const statuses = await Promise.all([
      aude.page('/console/admin'),
      aude.page('/console/admin/policies'),
      alex.page('/console/admin/catalog/github'),
    ]);

    // Assess
    expect(statuses.map((shown) => shown.status)).toEqual([403, 403, 403]);
  });
});
