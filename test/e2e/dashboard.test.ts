import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ticket } from '../../functions/domain/ticket';
import { checkPage, launchChromium, signInAs } from '../support/browser';
import { people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

/** The dashboard in a real browser, on a system whose first start seeded the demo history (README "Analytics"). */
let server: TollgateProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTollgate({ env: { TOLLGATE_DEMO_HISTORY: 'true' } }),
    launchChromium(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

/**
 * What went wrong while the page loaded: script errors, a CSP refusal among them, and files that did
 * not load (but the icon browsers ask for by themselves, which the console has none of).
 */
function consoleProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
      problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

describe('the dashboard in a real browser', () => {
  it("shows an auditor the week's charts, Finance's recurring requests and a rule candidate with its Cedar text", async () => {
    // Prepare
    const aude = await signInAs(browser, server.url, 'Aude Auditor');
    const problems = consoleProblems(aude);

    // Act
    await aude.getByRole('link', { name: 'Dashboard' }).click();
    await aude.waitForURL(`${server.url}/console/dashboard`);
    await expect.poll(() => aude.locator('figure.chart.drawn canvas').count()).toBe(5);
    await checkPage(aude, 'dashboard');

    // Assess
    expect(problems).toEqual([]);
    const recurring = aude.locator('#signals ul.entries').first();
    const finance = recurring.locator('li', { hasText: 'Finance' }).first();
    expect(await finance.locator('h4').textContent()).toBe('Finance: Company wiki: Edit pages (wiki-edit)');
    // The tickets behind it, each a link to the auditor's page of it.
    const links = await finance
      .getByRole('link')
      .evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const href of links) expect(href).toMatch(/^\/console\/audit\/requests\/\w{26}$/);
    const candidate = aude.locator('#rule-candidates article').first();
    expect(await candidate.locator('pre').textContent()).toMatch(
      /^@id\("candidate-[\w-]+"\)[\s\S]*action == Tollgate::Action::"autoApprove"/,
    );
    // An auditor may read candidates, not propose one.
    expect(await aude.getByRole('button', { name: /Propose as a policy change/ }).count()).toBe(0);
    // Drawn, the data folds into its details, which a click opens again.
    const volume = aude.locator('figure[data-chart="chart-volume-by-system"]');
    expect(await volume.locator('table').isVisible()).toBe(false);
    await volume.locator('summary').click();
    expect(await volume.locator('table').isVisible()).toBe(true);
  }, 120_000);

  it('shows every chart as its table to a browser without scripts', async () => {
    // Prepare
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: /^Aude Auditor/ }).click();
    await page.waitForURL(`${server.url}/`);

    // Act
    await page.goto(`${server.url}/console/dashboard`);
    const tables = page.locator('figure.chart table');

    // Assess
    expect(await tables.count()).toBe(5);
    for (const table of await tables.all()) expect(await table.isVisible()).toBe(true);
    expect(await page.locator('figure.chart canvas').count()).toBe(0);
    await context.close();
  }, 60_000);

  it('shows an admin the proposal form of each rule candidate, posting its id and Cedar text, in a page under 100 KB', async () => {
    // Prepare
    const ivan = await signInAs(browser, server.url, 'Ivan IT');

    // Act
    const response = await ivan.goto(`${server.url}/console/dashboard`);
    await expect.poll(() => ivan.locator('figure.chart.drawn canvas').count()).toBe(5);
    const candidate = ivan.locator('#rule-candidates article').first();
    const form = candidate.locator('form');

    // Assess
    expect(await form.getAttribute('action')).toBe('/console/admin/policies/simulate');
    expect(await form.locator('input[name="addId"]').inputValue()).toBe(await candidate.getAttribute('id'));
    expect(await form.locator('input[name="addText"]').inputValue()).toBe(
      await candidate.locator('pre').textContent(),
    );
    await checkPage(ivan, 'dashboard-admin');
    // The page itself, before ECharts and the scripts, which come apart (and ECharts from the cache after once).
    expect((await response?.body())?.length).toBeLessThan(100 * 1024);
  }, 60_000);

  // Last: it changes the live policies the other tests' pages are made with.
  it("takes a governance lead from Finance's recurring requests to a live policy that auto-approves the next one", async () => {
    // Prepare: the weekly report, as Monday's schedule makes it, simulates each rule candidate
    const api = new TollgateClient(server.url);
    await api.runSchedule('weekly-report');
    const ivan = await signInAs(browser, server.url, 'Ivan IT');
    const candidate = ivan.locator('article#candidate-finance-wiki-edit');

    // Act: the dashboard, its recurring-request signal, the candidate for the same requests and its simulation
    await ivan.getByRole('link', { name: 'Dashboard' }).click();
    const recurring = ivan.locator('#signals ul.entries').first().locator('li', { hasText: 'Finance' });
    const signal = (await recurring.first().locator('h4').textContent()) ?? '';
    await expect
      .poll(
        async () => {
          await ivan.reload();
          return (await candidate.locator('p.simulation').count()) > 0;
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe(true);
    const simulated = (await candidate.locator('p.simulation').textContent()) ?? '';
    await candidate.getByRole('button', { name: /Propose as a policy change/ }).click();
    await ivan.getByRole('button', { name: 'Make it live' }).waitFor({ timeout: 60_000 });
    await checkPage(ivan, 'dashboard-proposal-simulation');
    const simulation = (await ivan.locator('main').textContent()) ?? '';
    await ivan.getByRole('button', { name: 'Make it live' }).click();
    await ivan.waitForURL(/notice=saved/);
    const next = await api.call<Ticket>(people.felix, 'POST', '/requests', {
      type: 'access',
      system: 'wiki',
      entitlement: 'wiki-edit',
      justification: 'Edit the month-end close checklist page',
    });

    // Assess
    expect(signal).toBe('Finance: Company wiki: Edit pages (wiki-edit)');
    expect(simulated).toMatch(/would auto-approve [1-9]\d* tickets? people approved, 0 they denied/);
    expect(simulation).toContain('candidate-finance-wiki-edit');
    expect(simulation).toMatch(/would auto-approve [1-9]\d* tickets? that people approved/);
    expect(next.status).toBe(201);
    expect(next.body.decision).toMatchObject({
      outcome: 'auto_approved',
      policyIds: ['candidate-finance-wiki-edit'],
    });
  }, 180_000);
});
