import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { githubFlow } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, TollgateClient } from '../support/workflow-client';

/**
 * Issue 5, item 5: after a whole flow, no Step Functions task token, no JWT, and no emailed link token
 * outside its own email, in the log, the outbox, the API's answers or the stored table.
 */

const { requester, manager, fulfiller } = githubFlow;
const auditor = 'aude.audit@example.com';
const body = githubFlow.request;

/** Any JWS compact serialisation: three base64url parts, the first a JSON header (`{"` is `eyJ`). */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

interface Haystack {
  where: string;
  text: string;
  /** The one link token this text may carry: the email sent with it, or the page it opens. */
  ownLinkTokens?: string[];
}

let server: TollgateProcess | undefined;

afterAll(async () => {
  await server?.kill();
  if (server) removeDataDir(server.dataDir);
});

/** The task tokens the local Step Functions service handed out, from its running and archived executions. */
function taskTokensIn(dataDir: string): string[] {
  return ['executions', 'archive'].flatMap((folder) => {
    const dir = join(dataDir, 'stepfunctions', folder);
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => {
        const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as {
          waits: { token: string }[];
          closedTokens: Record<string, string>;
        };
        return [...record.waits.map((wait) => wait.token), ...Object.keys(record.closedTokens)];
      });
  });
}

const linkToken = (url: string) => /\/a\/([^/?#]+)/.exec(url)?.[1] ?? '';

async function scanTable(endpoint: string): Promise<string> {
  const dynamo = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const items: unknown[] = [];
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: 'tollgate', ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}

/**
 * Aligned pieces of a secret: any part of it at least twice `size` long contains one, so a shortened or
 * wrapped copy is found too.
 */
function pieces(secret: string, size: number): string[] {
  const found: string[] = [];
  for (let at = 0; at + size <= secret.length; at += size) found.push(secret.slice(at, at + size));
  return found;
}

const contains = (text: string, secret: string, size: number) =>
  pieces(secret, size).some((piece) => text.includes(piece));

function findLeaks(
  haystacks: Haystack[],
  secrets: { taskTokens: string[]; linkTokens: string[]; jwts: string[] },
): string[] {
  const found: string[] = [];
  for (const { where, text, ownLinkTokens = [] } of haystacks) {
    for (const token of secrets.taskTokens)
      if (contains(text, token, 24)) found.push(`${where}: a task token (${token.slice(0, 12)}…)`);
    for (const token of secrets.linkTokens)
      if (!ownLinkTokens.includes(token) && contains(text, token, 16))
        found.push(`${where}: another recipient's link token (${token.slice(0, 6)}…)`);
    for (const token of secrets.jwts)
      if (text.includes(token)) found.push(`${where}: a bearer token (${token.slice(0, 12)}…)`);
    for (const match of text.match(JWT_PATTERN) ?? []) found.push(`${where}: a JWT-shaped string ${match}`);
  }
  return [...new Set(found)];
}

describe('secrets where they could leak', () => {
  it('finds no task token, no JWT, and no link token outside its own email after a whole flow', async () => {
    // Prepare: a verbose log, and one transient failure on each of the paths that log errors.
    server = await startTollgate({
      env: {
        TOLLGATE_QUIET: 'false',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        TOLLGATE_FAULTS: 'fail:workflow*1,fail:mailer*1,fail:task:advance*1',
      },
    });
    const client = new TollgateClient(server.url);
    const answers: Haystack[] = [];
    const record = async (where: string, call: Promise<{ status: number; body: unknown }>) => {
      const answer = await call;
      answers.push({ where, text: JSON.stringify(answer.body) });
      return answer;
    };
    const recordPage = async (where: string, url: string, init?: RequestInit) => {
      const response = await fetch(url, init);
      answers.push({ where, text: await response.text(), ownLinkTokens: [linkToken(url)] });
      return response.status;
    };

    // Act: file (its execution starts from reconcile), approve and fulfil by link, with a few wrong turns.
    const filed = await record('POST /requests', client.call(requester, 'POST', '/requests', body));
    const id = (filed.body as { id: string }).id;
    const reconciled = await client.reconcile();
    await eventually(async () => {
      const inbox = await record('GET /approvals (manager)', client.call(manager, 'GET', '/approvals'));
      return JSON.stringify(inbox.body).includes(id) ? true : undefined;
    });
    const approvalLink = await client.linkFor(manager, id, 'Approval needed');
    await recordPage('approval page', approvalLink);
    const approved = await client.submitLink(approvalLink, { decision: 'approve', comment: 'ok' });
    answers.push({ where: 'approval answer', text: approved.html, ownLinkTokens: [linkToken(approvalLink)] });
    const reused = await recordPage('approval link used again', approvalLink, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=deny',
    });
    const unknown = await recordPage('unknown link', `${server.url}/a/${'A'.repeat(43)}`);
    await eventually(async () => {
      const open = await record(
        'GET /fulfilments (fulfiller)',
        client.call(fulfiller, 'GET', '/fulfilments'),
      );
      return JSON.stringify(open.body).includes(id) ? true : undefined;
    });
    const fulfilmentLink = await client.linkFor(fulfiller, id, 'To fulfil');
    await recordPage('fulfilment page', fulfilmentLink);
    const fulfilled = await client.submitLink(fulfilmentLink, { result: 'done', note: 'added' });
    answers.push({
      where: 'fulfilment answer',
      text: fulfilled.html,
      ownLinkTokens: [linkToken(fulfilmentLink)],
    });
    await client.ticketWhen(requester, id, (t) => t.status === 'closed');
    for (const as of [requester, manager, fulfiller, auditor])
      await record(`GET /requests/{id} (${as})`, client.call(as, 'GET', `/requests/${id}`));
    await record('GET /requests?mine=true', client.call(requester, 'GET', '/requests?mine=true'));
    await record('GET /requests (auditor)', client.call(auditor, 'GET', '/requests?limit=100'));
    await record('GET /approvals (after)', client.call(manager, 'GET', '/approvals'));
    await record('GET /fulfilments (after)', client.call(fulfiller, 'GET', '/fulfilments'));
    const jwts = await Promise.all([requester, manager, fulfiller, auditor].map((as) => client.token(as)));
    const forged = `${jwts[0]?.slice(0, -4)}AAAA`;
    const refused = await fetch(`${server.url}/requests`, { headers: { authorization: `Bearer ${forged}` } });
    answers.push({ where: 'forged token answer', text: await refused.text() });
    const table = await scanTable((await client.endpoints()).dynamodb);
    const messages = await client.outbox();
    await server.stop();

    // Assess
    const taskTokens = taskTokensIn(server.dataDir);
    const linkTokens = messages.flatMap((message) => message.links.map(linkToken)).filter(Boolean);
    const log = server.output().split('\n');
    const outboxDir = join(server.dataDir, 'outbox');
    const emails: Haystack[] = messages.flatMap((message) => {
      const own = message.links.map(linkToken);
      return [
        {
          where: `email ${message.id} text`,
          text: `${message.subject}\n${message.text}`,
          ownLinkTokens: own,
        },
        { where: `email ${message.id} html`, text: message.html, ownLinkTokens: own },
        { where: `email ${message.id} urls`, text: message.links.join('\n'), ownLinkTokens: own },
        {
          where: `email ${message.id} as stored`,
          text: readFileSync(join(outboxDir, `${message.id}.eml`), 'utf8'),
          ownLinkTokens: own,
        },
      ];
    });
    const leaks = findLeaks(
      [
        ...log.map((line, index) => ({ where: `log line ${index + 1}`, text: line })),
        ...emails,
        ...answers,
        { where: 'the table', text: table.replaceAll(/"token":\{"S":"[^"]+"\}/g, '"token":"(kept)"') },
      ],
      { taskTokens, linkTokens, jwts: [...jwts, forged] },
    );
    expect(reconciled.started).toBe(1);
    expect(reused).toBe(409);
    expect(unknown).toBe(404);
    expect(refused.status).toBe(401);
    expect(server.output()).toContain('Injected fault');
    expect(log.length).toBeGreaterThan(10);
    expect(taskTokens.length).toBeGreaterThanOrEqual(2);
    // One link to the manager, one to each fulfiller of github (Ian and Bo), and the requester's survey.
    expect(linkTokens).toHaveLength(4);
    expect(taskTokens.some((token) => table.includes(token))).toBe(true);
    expect(leaks).toEqual([]);
  }, 60_000);
});
