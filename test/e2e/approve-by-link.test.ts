import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

/** Debian's Chromium, which .ci/run installs: playwright-core never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: TollgateProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does)`);
  server = await startTollgate();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe('an approver in a real browser', () => {
  it('opens the emailed link, reads the request, and approves it with a comment', async () => {
    // Prepare
    const client = new TollgateClient(server.url);
    const { body: ticket } = await client.call<{ id: string }>(
      'felix.analyst@example.com',
      'POST',
      '/requests',
      {
        type: 'access',
        beneficiary: 'svc:billing-export',
        system: 'payroll',
        entitlement: 'payroll-read',
        justification: 'Monthly export job reads payroll totals',
        evidence: ['https://jira.example.com/browse/FIN-1234'],
      },
    );
    const link = await client.linkFor('fiona.finance@example.com', ticket.id, 'Approval needed');
    const page = await browser.newPage();

    // Act
    await page.goto(link);
    const summary = (await page.locator('table').textContent()) ?? '';
    await page.getByLabel('Comment').fill('Export job reviewed with Felix');
    await page.getByRole('button', { name: 'Approve' }).click();

    // Assess
    expect(summary).toContain('Monthly export job reads payroll totals');
    expect(summary).toContain('high');
    await expect.poll(() => page.locator('h1').textContent()).toBe('You approved the request');
    const approved = await client.ticketWhen(
      'felix.analyst@example.com',
      ticket.id,
      (t) => t.status === 'fulfilling',
    );
    expect(approved.approvals[0]).toMatchObject({
      decidedBy: 'fiona.finance@example.com',
      decision: 'approve',
      via: 'link',
      comment: 'Export job reviewed with Felix',
    });
  });
});

/** How wide the page is laid out: wider than the viewport means the reader scrolls sideways. */
const layoutWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');
const PHONE = { width: 390, height: 844 };

describe('on a 390 px phone', () => {
  const filed = async (client: TollgateClient) =>
    (
      await client.call<{ id: string }>('alex.dev@example.com', 'POST', '/requests', {
        type: 'access',
        system: 'github',
        entitlement: 'github-write',
        justification:
          'Push the release branch for 4.2: tollgate/release-4.2-hotfix-for-the-payroll-export-rounding-bug',
        evidence: [
          'https://jira.example.com/browse/PLATFORM-12345?focusedCommentId=998877665544332211&page=com.atlassian.jira.plugin.system.issuetabpanels',
        ],
      })
    ).body;

  it('shows the approval page, and the page after the decision, no wider than the screen', async () => {
    // Prepare
    const client = new TollgateClient(server.url);
    const ticket = await filed(client);
    const link = await client.linkFor('erin.lead@example.com', ticket.id, 'Approval needed');
    const page = await browser.newPage({ viewport: PHONE });

    // Act
    await page.goto(link);
    const reviewWidth = await layoutWidth(page);
    const review = (await page.locator('main').textContent()) ?? '';
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('You approved the request');
    const afterWidth = await layoutWidth(page);
    const after = (await page.locator('main').textContent()) ?? '';

    // Assess
    expect(reviewWidth).toBeLessThanOrEqual(PHONE.width);
    expect(afterWidth).toBeLessThanOrEqual(PHONE.width);
    expect(review).toContain('Alex Developer <alex.dev@example.com>');
    expect(review).toContain('Push to repositories (github-write)');
    expect(review).toContain('Policy asks for approval by the manager');
    expect(after).toContain(
      'Next, Ian Helpdesk <ian.helpdesk@example.com> and Bo Developer <bo.dev@example.com> are asked to grant the access',
    );
  });

  it('shows the fulfilment page, which names who approved, no wider than the screen', async () => {
    // Prepare
    const client = new TollgateClient(server.url);
    const ticket = await filed(client);
    await client.submitLink(await client.linkFor('erin.lead@example.com', ticket.id, 'Approval needed'), {
      decision: 'approve',
    });
    const link = await client.linkFor('ian.helpdesk@example.com', ticket.id, 'To fulfil');
    const page = await browser.newPage({ viewport: PHONE });

    // Act
    await page.goto(link);
    const width = await layoutWidth(page);
    const approvedBy = await page.locator('tr', { hasText: 'Approved by' }).textContent();

    // Assess
    expect(width).toBeLessThanOrEqual(PHONE.width);
    expect(approvedBy).toContain('Erin Lead <erin.lead@example.com>, as the manager');
  });

  it('lays out the approval email no wider than the screen', async () => {
    // Prepare
    const client = new TollgateClient(server.url);
    const ticket = await filed(client);
    await client.linkFor('erin.lead@example.com', ticket.id, 'Approval needed');
    const email = (await client.outbox()).find(
      (message) => message.subject.startsWith('Approval needed') && message.subject.includes(ticket.id),
    );
    const page = await browser.newPage({ viewport: PHONE });

    // Act
    await page.setContent(email?.html ?? '');
    const width = await layoutWidth(page);

    // Assess
    expect(email?.html).toContain('Or open this address');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  });
});
