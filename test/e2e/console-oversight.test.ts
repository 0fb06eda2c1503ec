import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../../functions/domain/ticket';
import { type ConsoleInBrowser, checkPage, startConsoleInBrowser } from '../support/console-browser';
import { people } from '../support/seed';
import { TollgateClient } from '../support/workflow-client';

let tollgate: ConsoleInBrowser;
let api: TollgateClient;

beforeAll(async () => {
  tollgate = await startConsoleInBrowser();
  api = new TollgateClient(tollgate.server.url);
});

afterAll(async () => {
  await tollgate?.close();
});

const fileGithubWrite = async (): Promise<Ticket> => {
  const { status, body } = await api.call<Ticket>(people.alex, 'POST', '/requests', {
    type: 'access',
    system: 'github',
    entitlement: 'github-write',
    justification: 'Push the release branch for the Q4 launch',
  });
  if (status !== 201) throw new Error(`intake answered ${status}`);
  return body;
};

describe('the oversight pages in a real browser', () => {
  it('lets an auditor find a ticket by its number, read its record, and export the last week', async () => {
    // Prepare
    const ticket = await fileGithubWrite();
    const aude = await tollgate.signIn('Aude Auditor');
    const weekAgo = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);

    // Act
    await aude.getByRole('link', { name: 'Audit' }).click();
    await checkPage(aude, 'audit');
    await aude.getByLabel('Number').fill(ticket.number);
    await aude.getByRole('button', { name: 'Search' }).click();
    await checkPage(aude, 'audit-search');
    await aude.getByRole('link', { name: ticket.number }).click();
    await checkPage(aude, 'audit-record');
    const record = (await aude.locator('main').textContent()) ?? '';
    await aude.goto(`${tollgate.server.url}/console/audit`);
    await aude.locator('#export-from').fill(weekAgo);
    await aude.locator('#export-to').fill(today);
    await aude.getByRole('button', { name: 'Start the export' }).click();
    await aude.getByRole('link', { name: 'Download' }).waitFor({ timeout: 30_000 });
    await checkPage(aude, 'audit-export');
    const download = await aude.request.get(
      (await aude.getByRole('link', { name: 'Download' }).getAttribute('href')) ?? '',
    );

    // Assess
    expect(record).toContain('Push the release branch for the Q4 launch');
    expect(record).toContain(ticket.decision?.version ?? 'a policy version');
    expect(record).toMatch(/Every event's hash and link holds/);
    expect(download.status()).toBe(200);
    expect(await download.text()).toContain(ticket.number);
  }, 120_000);

  it('lets an admin change a policy after seeing its simulation, and decides the next request by it', async () => {
    // Prepare: one github-write request that Erin approved, for the simulation to replay
    const approved = await fileGithubWrite();
    const erin = await tollgate.signIn('Erin Lead');
    await erin.goto(`${tollgate.server.url}/console/approvals`);
    await erin
      .locator('section.card', { hasText: approved.number })
      .getByRole('button', { name: 'Approve' })
      .click();
    const ivan = await tollgate.signIn('Ivan IT');

    // Act
    await ivan.getByRole('link', { name: 'Admin' }).click();
    await checkPage(ivan, 'admin');
    await ivan.getByRole('link', { name: 'Change them' }).click();
    await checkPage(ivan, 'admin-policies');
    await ivan.getByLabel(/Its id/).fill('github-write-routine');
    await ivan
      .getByLabel('Its Cedar text')
      .fill(
        '@id("github-write-routine")\n@reason("pushing is routine")\npermit (principal is Tollgate::Person, action == Tollgate::Action::"autoApprove", resource == Tollgate::Entitlement::"github-write");',
      );
    await ivan.getByRole('button', { name: 'Simulate the change' }).click();
    await ivan.getByRole('button', { name: 'Make it live' }).waitFor({ timeout: 30_000 });
    await checkPage(ivan, 'admin-simulation');
    const simulation = (await ivan.locator('main').textContent()) ?? '';
    await ivan.getByRole('button', { name: 'Make it live' }).click();
    await ivan.waitForURL(/notice=saved/);
    const next = await fileGithubWrite();

    // Assess
    expect(simulation).toContain('would auto-approve 1 ticket that people approved');
    expect(next.decision).toMatchObject({ outcome: 'auto_approved', policyIds: ['github-write-routine'] });
  }, 120_000);
});
