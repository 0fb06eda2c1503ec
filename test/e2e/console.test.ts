import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage, launchChromium, signInAs } from '../support/browser';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';

let server: TollgateProcess;
let browser: Browser;

beforeAll(async () => {
  server = await startTollgate();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

/** Signs in through the local OpenID provider's own page, as a person would: in a browser of their own. */
const signIn = (name: string): Promise<Page> => signInAs(browser, server.url, name);

async function fileRequest(
  page: Page,
  target: string,
  justification: string,
  duration = '',
): Promise<string> {
  await page.goto(`${server.url}/console/requests/new?target=${target}`);
  await page.getByLabel('Why you need it').fill(justification);
  if (duration) await page.getByLabel(/For how long/).fill(duration);
  await page.getByRole('button', { name: 'File the request' }).click();
  await page.waitForURL(/\/console\/requests\/\w{26}\?notice=filed$/);
  return page.url().replace(/^.*\/console\/requests\/(\w{26}).*$/, '$1');
}

async function approveInInbox(
  name: string,
  ticketNumber: string,
  comment: string,
  check?: string,
): Promise<void> {
  const page = await signIn(name);
  await page.goto(`${server.url}/console/approvals`);
  if (check) await checkPage(page, check);
  const card = page.locator('section.card', { hasText: ticketNumber });
  await card.getByLabel(/Comment/).fill(comment);
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect.poll(() => page.locator('.notice').textContent()).toContain('Approved');
}

async function fulfil(name: string, ticketNumber: string, check?: string): Promise<void> {
  const page = await signIn(name);
  await page.goto(`${server.url}/console/fulfilments`);
  const card = page.locator('section.card', { hasText: ticketNumber });
  await expect.poll(() => card.count(), { timeout: 15_000 }).toBe(1);
  if (check) await checkPage(page, check);
  await card.getByLabel(/Note/).fill('Added to the team in the admin console');
  await card.getByRole('button', { name: 'Done' }).click();
  await expect.poll(() => page.locator('.notice').textContent()).toContain('Recorded as done');
}

const statusOf = async (page: Page, id: string) => {
  await page.goto(`${server.url}/console/requests/${id}`);
  return (await page.locator('section.card').first().textContent()) ?? '';
};

describe('the console in a real browser', () => {
  it('takes a request from the form through approval in the inbox to fulfilment', async () => {
    // Prepare
    const alex = await signIn('Alex Developer');
    await checkPage(alex, 'home');
    await alex.goto(`${server.url}/console/catalog`);
    await checkPage(alex, 'catalog');

    // Act
    await alex.goto(`${server.url}/console/requests/new?target=github/github-write`);
    await alex.getByLabel('Why you need it').fill('short');
    await alex.getByRole('button', { name: 'File the request' }).click();
    await checkPage(alex, 'request-form-refused');
    const refusal = await alex.locator('#justification-error').textContent();
    const id = await fileRequest(alex, 'github/github-write', 'Push the release branch for the Q4 launch');
    await checkPage(alex, 'request');
    const number = ((await alex.locator('h1').textContent()) ?? '').split(':')[0] ?? '';
    await approveInInbox('Erin Lead', number, 'Fine for the launch', 'approvals');
    await fulfil('Ian Helpdesk', number, 'fulfilments');

    // Assess
    expect(refusal).toBe('must explain the business need in at least 10 characters');
    // Standing access: the ticket closes once it is granted.
    await expect
      .poll(() => statusOf(alex, id), { timeout: 15_000 })
      .toContain('Closed, done: access granted');
    await alex.goto(`${server.url}/console/requests/${id}`);
    await alex.getByRole('button', { name: 'Send rating' }).click();
    await checkPage(alex, 'feedback-refused');
    const unrated = await alex.locator('#rating-error').textContent();
    await alex.getByLabel('5 (excellent)').check();
    await alex.getByLabel('Comment (optional)').fill('Quick and clear');
    await alex.getByRole('button', { name: 'Send rating' }).click();
    await checkPage(alex, 'feedback');
    const rated = await alex.locator('section.card', { hasText: 'Your rating' }).textContent();
    await alex.goto(`${server.url}/console/requests`);
    await checkPage(alex, 'my-requests');
    expect(unrated).toBe('is required');
    expect(rated).toContain('You rated this request 5 of 5: “Quick and clear”');
  }, 120_000);

  it('takes a three-stage request through the manager, the system owner and security', async () => {
    // Prepare
    const alex = await signIn('Alex Developer');
    const id = await fileRequest(
      alex,
      'aws-prod/aws-prod-admin',
      'Rotate the production KMS keys tonight',
      'PT4H',
    );
    const number = ((await alex.locator('h1').textContent()) ?? '').split(':')[0] ?? '';

    // Act
    await approveInInbox('Erin Lead', number, 'Manager: yes');
    await expect.poll(() => statusOf(alex, id), { timeout: 15_000 }).toContain('Sam Security');
    await approveInInbox('Sam Security', number, 'Owner: yes');
    await expect.poll(() => statusOf(alex, id), { timeout: 15_000 }).toContain('Sara SecOps');
    await approveInInbox('Sara SecOps', number, 'Security: yes');
    await fulfil('Ivan IT', number);

    // Assess
    await expect.poll(() => statusOf(alex, id), { timeout: 15_000 }).toContain('Active: access granted');
    const timeline = (await alex.locator('ol.timeline').textContent()) ?? '';
    expect(timeline).toContain('Erin Lead approved');
    expect(timeline).toContain('Sam Security approved');
    expect(timeline).toContain('Sara SecOps approved');
  }, 120_000);

  it('cancels a request from its page', async () => {
    // Prepare
    const alex = await signIn('Alex Developer');
    const id = await fileRequest(alex, 'wiki/wiki-edit', 'Fix the onboarding page for new starters');
    alex.on('dialog', (dialog) => dialog.accept());

    // Act
    await alex.getByLabel('Why (optional)').fill('Someone else fixed it');
    await alex.getByRole('button', { name: 'Cancel the request' }).click();

    // Assess
    await alex.waitForURL(/notice=cancelled/);
    expect(await statusOf(alex, id)).toContain('Closed, cancelled');
  });

  it('refuses each working page to a requester who works in none of them, and hides them from the menu', async () => {
    // Prepare
    const alex = await signIn('Alex Developer');
    const pages = ['approvals', 'delegations', 'fulfilments', 'support'];

    // Act
    const statuses: Record<string, number | undefined> = {};
    for (const name of pages) {
      statuses[name] = (await alex.goto(`${server.url}/console/${name}`))?.status();
      if (name === 'fulfilments') await checkPage(alex, 'refused');
    }
    const menu = (await alex.locator('nav').textContent()) ?? '';

    // Assess
    expect(statuses).toEqual({ approvals: 403, delegations: 403, fulfilments: 403, support: 403 });
    for (const hidden of ['Approvals', 'Fulfilment', 'Support']) expect(menu).not.toContain(hidden);
  });

  it("refuses a requester another person's request as if it did not exist", async () => {
    // Prepare
    const bo = await signIn('Bo Developer');
    const id = await fileRequest(bo, 'wiki/wiki-edit', 'Update the release checklist page');
    const alex = await signIn('Alex Developer');

    // Act
    const response = await alex.goto(`${server.url}/console/requests/${id}`);

    // Assess
    expect(response?.status()).toBe(404);
    expect(await alex.locator('main').textContent()).not.toContain('release checklist');
  });

  it('signs out at the console and at the provider', async () => {
    // Prepare
    const alex = await signIn('Alex Developer');

    // Act
    await alex.getByRole('button', { name: 'Sign out' }).click();
    await alex.getByRole('button', { name: 'Yes, sign me out' }).click();
    await alex.waitForURL(`${server.url}/signed-out`);
    await alex.goto(`${server.url}/`);

    // Assess
    expect(alex.url()).toContain('/interaction/');
  });
});
