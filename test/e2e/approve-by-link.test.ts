import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
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
    await expect.poll(() => page.locator('h1').textContent()).toBe('Thank you');
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
