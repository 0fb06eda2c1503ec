import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import {
  localWebhookSecrets,
  type SignedSend,
  sendSignedWebhook,
} from '../../functions/local/webhook-client';
import { people } from './seed';
import { removeDataDir, startTollgate } from './tollgate-process';
import { eventually, type Ticket, TollgateClient } from './workflow-client';

export { localWebhookSecrets };

/** Signs and posts an event to Tollgate as a real integration does, with the standardwebhooks library. */
export const sendWebhook = (
  url: string,
  integration: string,
  secret: string,
  event: { type: string; data: Record<string, unknown> },
  options: SignedSend = {},
) => sendSignedWebhook(`${url}/webhooks/${integration}`, secret, event, options);

/** Alex (or `requester`) files the demo hris request; each open stage is approved by its first candidate's link. */
export async function approvedHrisRequest(
  client: TollgateClient,
  requester: string = people.alex,
): Promise<Ticket> {
  const filed = await client.call<{ id: string }>(requester, 'POST', '/requests', {
    type: 'access',
    system: 'hris',
    entitlement: 'hris-read',
    justification: 'Check the onboarding records of my new team',
    duration: 'P30D',
  });
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  for (;;) {
    // Between the last decision and the step that moves on, every stage is decided and the ticket still pending.
    const ticket = await client.ticketWhen(
      requester,
      filed.body.id,
      (t) =>
        t.status !== 'submitted' &&
        (t.status !== 'pending_approval' || t.approvals.some((approval) => !approval.decision)),
    );
    if (ticket.status !== 'pending_approval') return ticket;
    const decided = ticket.approvals.filter((approval) => approval.decision).length;
    const stage = (ticket.approvals as { decision: string | null; candidates: string[] }[])[decided];
    const link = await client.linkFor(stage?.candidates[0] ?? '', ticket.id, 'Approval needed', 30_000);
    await client.submitLink(link, { decision: 'approve' });
    await client.ticketWhen(
      requester,
      ticket.id,
      (t) => t.approvals.filter((a) => a.decision).length > decided,
    );
  }
}

/**
 * Waits until `holder`'s grant from `ticketId` is listed: the grant item is written right after the
 * ticket that names it, so a ticket already `active` may have no grant to end yet (404).
 */
export async function grantListed(client: TollgateClient, holder: string, ticketId: string): Promise<void> {
  await eventually(async () => {
    const own = await client.call<{ items: { ticket: string }[] }>(holder, 'GET', '/grants?limit=100');
    return own.body.items.some((grant) => grant.ticket === ticketId) || undefined;
  });
}

/** An outbound webhook as a receiver got it: whether its signature verified, its headers and body. */
export interface ReceivedWebhook {
  verified: boolean;
  headers: Record<string, string>;
  body: { type: string; data: Record<string, string | null> };
  /** The HTTP status the receiver answered it with. */
  status: number;
}

/** The status a receiver answers a webhook with, given those it received before it. */
export type Answer = (webhook: Omit<ReceivedWebhook, 'status'>, before: readonly ReceivedWebhook[]) => number;

/**
 * A local stand-in for the provisioning integration: it verifies each webhook with the secret
 * `secret()` gives (read once Tollgate has made it), keeps it, and answers 202, or what the
 * answer set by `answerWith` says.
 */
export async function startWebhookReceiver(secret: () => string) {
  const received: ReceivedWebhook[] = [];
  let answer: Answer = () => 202;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        new Webhook(secret()).verify(text, request.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const webhook = {
        verified,
        headers: request.headers as Record<string, string>,
        body: JSON.parse(text),
      };
      const status = answer(webhook, [...received]);
      received.push({ ...webhook, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Answers each webhook from now on as `next` says (a test sets it before the webhooks it is for are sent). */
    answerWith(next: Answer) {
      answer = next;
    },
    /** The webhooks of `type` received for `ticketId` so far. */
    all: (ticketId: string, type: string) =>
      received.filter((event) => event.body.data.ticket === ticketId && event.body.type === type),
    /** The first webhook of `type` for `ticketId`, waiting up to 20 s for it. */
    first(ticketId: string, type: string): Promise<ReceivedWebhook> {
      return this.nth(ticketId, type, 1);
    },
    /** The `n`th webhook of `type` for `ticketId` (from 1), waiting up to `timeoutMs` for it. */
    async nth(ticketId: string, type: string, n: number, timeoutMs = 20_000): Promise<ReceivedWebhook> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = this.all(ticketId, type)[n - 1];
        if (found) return found;
        if (Date.now() > until) throw new Error(`no ${type} number ${n} received for ${ticketId}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Tollgate started with its `provisioning` integration's target at a local receiver (with `env` besides):
 * the system, a client of it, the receiver, the integrations' local secrets, and a stop for all of them.
 */
export async function startWithProvisioningReceiver(env: Record<string, string> = {}) {
  let secret = '';
  const receiver = await startWebhookReceiver(() => secret);
  const server = await startTollgate({
    env: { ...env, WEBHOOK_TARGETS: JSON.stringify({ provisioning: receiver.url }) },
  }).catch(async (error: unknown) => {
    await receiver.close();
    throw error;
  });
  const secrets = localWebhookSecrets(server.dataDir);
  secret = secrets.provisioning?.[0] ?? '';
  return {
    server,
    client: new TollgateClient(server.url),
    receiver,
    secrets,
    stop: async () => {
      await server.stop();
      removeDataDir(server.dataDir);
      await receiver.close();
    },
  };
}

/** An outbound event as a subscriber got it: its webhook id, whether its signature verified, its body. */
export interface ReceivedEvent {
  id: string;
  verified: boolean;
  text: string;
  body: { type: string; version: number; timestamp: string; data: Record<string, unknown> };
  at: number;
}

/**
 * A subscriber of Tollgate's outbound events, as a real receiver would be: it verifies each with
 * the `standardwebhooks` library and the secret `secret()` gives (Tollgate makes it at start), and
 * answers 204 while up, 503 while down. `attempts` counts every request, `received` keeps the
 * answered ones. Listens on `port` when given (bringing up a subscriber that was not listening).
 */
export async function startSubscriber(secret: () => string, options: { port?: number; up?: boolean } = {}) {
  let up = options.up ?? true;
  const attempts: { id: string; up: boolean }[] = [];
  const received: ReceivedEvent[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id']);
      attempts.push({ id, up });
      if (!up) return response.writeHead(503).end();
      let verified = true;
      try {
        new Webhook(secret()).verify(text, request.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      received.push({ id, verified, text, body: JSON.parse(text), at: Date.now() });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const of = (ticketId: string) => received.filter((event) => event.body.data.ticket === ticketId);
  return {
    url: `http://127.0.0.1:${port}/events`,
    port,
    attempts,
    received,
    /** The events received about `ticketId`, oldest first. */
    of,
    /** Waits (up to `timeoutMs`) until the events about `ticketId` include every type of `types`. */
    async receivedAll(ticketId: string, types: string[], timeoutMs = 30_000): Promise<ReceivedEvent[]> {
      return eventually(async () => {
        const got = of(ticketId);
        return types.every((type) => got.some((event) => event.body.type === type)) ? got : undefined;
      }, timeoutMs);
    },
    down: () => {
      up = false;
    },
    up: () => {
      up = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on (taken from the system, then let go): a subscriber that is down. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
