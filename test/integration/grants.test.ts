import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubFlow, people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Every fulfilled access request leaves a grant (issue 13, item 1), time-bound or standing, and
 * GET /grants answers who holds what, since when, until when, by which ticket, to those who may
 * know: the holder, the system's owner, security and auditors.
 */
interface Grant {
  id: string;
  holder: string;
  system: string;
  entitlement: string;
  ticket: string;
  from: string;
  until: string | null;
  status: string;
  endReason: string | null;
}
type GrantPage = { items: Grant[]; next: string | null };
type ErrorBody = { error: { code: string; fields?: Record<string, string> } };

const { requester: alex, manager: erin, fulfiller: ian } = githubFlow;

let server: TollgateProcess;
let client: TollgateClient;
/** Alex's two grants, made once: GitHub write for a week, and wiki edit standing. */
let timeBound: Ticket;
let standing: Ticket;

const grantsAs = (as: string, query: Record<string, string> = {}) =>
  client.call<GrantPage>(as, 'GET', `/grants?${new URLSearchParams(query)}`);

/** Files the request for oneself, has one's manager approve it and Ian fulfil it, by their emailed links. */
const grantThrough = (as: string, manager: string, body: Record<string, unknown>) =>
  client.grantThrough(as, manager, ian, body);

beforeAll(async () => {
  server = await startTollgate({ env: { TOLLGATE_TIME_SCALE: '0.001', DIRECTORY_CACHE_SECONDS: '0' } });
  client = new TollgateClient(server.url);
  timeBound = await grantThrough(alex, erin, { ...githubFlow.request, duration: 'P7D' });
  standing = await grantThrough(alex, erin, {
    type: 'access',
    system: 'wiki',
    entitlement: 'wiki-edit',
    justification: 'Keep the on-call runbooks current',
  });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe('a fulfilled access request', () => {
  it('creates an active grant until the end of a time-bound request, and keeps the ticket active', async () => {
    // Act
    const { status, body } = await grantsAs(alex, { system: 'github' });

    // Assess
    expect(status).toBe(200);
    expect(timeBound.status).toBe('active');
    expect(body.items).toEqual([
      {
        id: timeBound.grant?.id,
        holder: alex,
        system: 'github',
        entitlement: 'github-write',
        ticket: timeBound.id,
        from: timeBound.grant?.from,
        until: timeBound.grant?.until,
        status: 'active',
        endReason: null,
        overdue: false,
      },
    ]);
    expect(Date.parse(body.items[0]?.until ?? '')).toBeGreaterThan(Date.parse(body.items[0]?.from ?? ''));
  });

  it('creates a standing grant without end for a request without duration, and closes the ticket as fulfilled', async () => {
    // Act
    const { body } = await grantsAs(alex, { system: 'wiki' });

    // Assess
    expect(standing).toMatchObject({ status: 'closed', closure: 'fulfilled' });
    expect(standing.grant).toMatchObject({ id: `G${standing.id}`, until: null });
    expect(body.items).toEqual([
      expect.objectContaining({
        id: `G${standing.id}`,
        entitlement: 'wiki-edit',
        ticket: standing.id,
        from: standing.grant?.from,
        until: null,
        status: 'active',
      }),
    ]);
  });
});

describe('GET /grants', () => {
  it("answers the holder's own grants, newest first, page by page", async () => {
    // Act
    const first = await grantsAs(alex, { limit: '1' });
    const second = await grantsAs(alex, { limit: '1', cursor: first.body.next ?? '' });
    const mine = await grantsAs(alex, { identity: alex });

    // Assess
    expect(first.body.items.map((grant) => grant.ticket)).toEqual([standing.id]);
    expect(second.body).toEqual({ items: [expect.objectContaining({ ticket: timeBound.id })], next: null });
    expect(mine.body.items.map((grant) => grant.ticket)).toEqual([standing.id, timeBound.id]);
  });

  it("answers a system's owner every grant on their system, and no other system's", async () => {
    // Act
    const wiki = await grantsAs(people.ivan, { system: 'wiki' });
    const alexOnGithub = await grantsAs(erin, { system: 'github', identity: alex });
    const alexOnWiki = await grantsAs(erin, { system: 'wiki', identity: alex });

    // Assess
    expect(wiki.status).toBe(200);
    expect(wiki.body.items.map((grant) => grant.ticket)).toEqual([standing.id]);
    expect(alexOnGithub.body.items.map((grant) => grant.ticket)).toEqual([timeBound.id]);
    expect(alexOnWiki.status).toBe(403);
  });

  it('answers an auditor and security anyone’s grants and any system’s', async () => {
    // Act
    const byHolder = await grantsAs(people.aude, { identity: alex });
    const bySystem = await grantsAs(people.sara, { system: 'github' });

    // Assess
    expect(byHolder.body.items.map((grant) => grant.ticket)).toEqual([standing.id, timeBound.id]);
    expect(bySystem.body.items.map((grant) => grant.ticket)).toContain(timeBound.id);
  });

  it("refuses someone else's grants to another employee, and answers their own instead when they name nobody", async () => {
    // Act
    const someoneElse = await client.call<ErrorBody>(people.bo, 'GET', `/grants?identity=${alex}`);
    const own = await grantsAs(people.bo);
    const ownOnWiki = await grantsAs(people.bo, { system: 'wiki' });

    // Assess
    expect(someoneElse.status).toBe(403);
    expect(someoneElse.body.error.code).toBe('forbidden');
    expect(own.body).toEqual({ items: [], next: null });
    expect(ownOnWiki.body).toEqual({ items: [], next: null });
  });

  it('answers 400 naming each bad parameter, and a cursor of another query', async () => {
    // Prepare
    const first = await grantsAs(alex, { limit: '1' });

    // Act
    const bad = await client.call<ErrorBody>(alex, 'GET', '/grants?identity=nobody&limit=0&colour=red');
    const foreign = await client.call<ErrorBody>(
      alex,
      'GET',
      `/grants?${new URLSearchParams({ system: 'wiki', cursor: first.body.next ?? '' })}`,
    );

    // Assess
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields ?? {}).sort()).toEqual(['colour', 'identity', 'limit']);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.fields).toHaveProperty('cursor');
  });
});

describe('policy reads standing grants', () => {
  it('refuses a toxic combination with standing access the beneficiary holds', async () => {
    // Prepare: a ledger whose posting conflicts with approving, neither capped; Felix holds approving, standing.
    const ledger = {
      id: 'ledger',
      name: 'Ledger',
      ownerId: people.fiona,
      sensitivity: 'low',
      fulfilment: { mode: 'manual', fulfillers: [ian] },
      entitlements: [
        { id: 'ledger-post', name: 'Post', class: 'write', conflictsWith: ['ledger-approve'] },
        { id: 'ledger-approve', name: 'Approve', class: 'write' },
      ],
    };
    expect((await client.call(people.ivan, 'PUT', '/catalog/systems/ledger', ledger)).status).toBe(201);
    const approve = await grantThrough(people.felix, people.fiona, {
      type: 'access',
      system: 'ledger',
      entitlement: 'ledger-approve',
      justification: 'Approve month-end postings',
    });
    expect(approve).toMatchObject({ status: 'closed', closure: 'fulfilled' });

    // Act
    const post = await client.call<Ticket & { decision: { outcome: string; policyIds: string[] } }>(
      people.felix,
      'POST',
      '/requests',
      {
        type: 'access',
        system: 'ledger',
        entitlement: 'ledger-post',
        justification: 'Post month-end entries',
      },
    );

    // Assess
    expect(post.body.decision).toMatchObject({ outcome: 'auto_rejected', policyIds: ['toxic-combination'] });
  });
});
