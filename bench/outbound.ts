import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { devToken, JsonClient } from './http-client';
import type { WithLocalSystem } from './local-system';
import { percentile, round } from './measure';
import type { Progress } from './progress';
import type { RunStamp } from './report';
import { sizeFrom } from './revocations';

/** Issue 15: how long an event takes from its change to its subscriber, at an arrival rate the system holds. */
export const OUTBOUND_LAG = {
  tickets: sizeFrom('BENCH_OUTBOUND_TICKETS', 300),
  perSecond: sizeFrom('BENCH_OUTBOUND_RATE', 3),
};
/** Each ticket (an auto-approved request) makes two events at once: ticket.created, then ticket.decided. */
const EVENTS_PER_TICKET = 2;
/** After the last filing, how long the bench waits for events still missing before it counts them lost. */
const GRACE_MS = 60_000;
const SUBSCRIBER = 'bench';
const REQUESTER = 'ivan.it@example.com';

export interface OutboundLagResult extends RunStamp {
  tickets: number;
  perSecond: number;
  /** Events the tickets made (two each), and those received; a repeat of one (the same webhook-id) counts once. */
  events: number;
  received: number;
  repeats: number;
  unverified: number;
  missing: number;
  /** Milliseconds from each event's `timestamp` (its change) to its receipt by the subscriber. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The same, for `ticket.created` alone: the write, the dispatcher's invocation, one attempt. */
  createdP99: number;
  /** The machine's one-minute load average as the requests began and as the last event was awaited: other work shares the cores. */
  loadAverage: { start: number; end: number };
}

interface Receipt {
  id: string;
  type: string;
  timestamp: string;
  receivedAt: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * Outbound delivery lag: on a fresh local system at scale 1 with one subscriber (a receiver in this
 * process), `tickets` auto-approved requests filed through the API at `perSecond`, each making
 * ticket.created at intake and ticket.decided at its first workflow step. Each event's lag is from
 * the `timestamp` of its payload (when its change happened) to the receiver's clock on arrival:
 * the write, the writer invoking the dispatcher through the local Lambda endpoint, the dispatcher
 * reading the ticket, writing the delivery, signing and posting it. Every receipt's signature is
 * checked with the subscriber's secret, as a real receiver does.
 */
export async function measureOutboundLag(
  withLocalSystem: WithLocalSystem,
  stamp: RunStamp,
  progress: Progress,
): Promise<OutboundLagResult> {
  const { tickets, perSecond } = OUTBOUND_LAG;
  const receipts: Receipt[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receivedAt = Date.now();
      const text = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(text) as { type: string; timestamp: string };
      receipts.push({
        id: String(request.headers['webhook-id']),
        type: body.type,
        timestamp: body.timestamp,
        receivedAt,
        text,
        headers: request.headers,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  try {
    return await withLocalSystem(
      async (system) => {
        const api = new JsonClient(system.url, 16);
        try {
          const token = await devToken(api, REQUESTER);
          const loadAtStart = round(loadavg()[0] ?? 0);
          const started = Date.now();
          const filings: Promise<void>[] = [];
          for (let index = 0; index < tickets; index++) {
            const due = started + (index * 1000) / perSecond;
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
            filings.push(
              api
                .post(
                  '/requests',
                  {
                    type: 'access',
                    system: 'wiki',
                    entitlement: 'wiki-read',
                    justification: 'Read the on-call runbooks',
                  },
                  { authorization: `Bearer ${token}` },
                )
                .then(({ status, body }) => {
                  if (status !== 201)
                    throw new Error(`POST /requests answered ${status}: ${JSON.stringify(body)}`);
                }),
            );
            progress.update('outbound-lag', index + 1, tickets, 'requests filed');
          }
          await Promise.all(filings);
          const expected = tickets * EVENTS_PER_TICKET;
          const deadline = Date.now() + GRACE_MS;
          while (new Set(receipts.map((receipt) => receipt.id)).size < expected && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          progress.clear();
          const secrets = JSON.parse(
            readFileSync(join(system.dataDir, 'webhook-secrets.json'), 'utf8'),
          ) as Record<string, string[]>;
          const loadAverage = { start: loadAtStart, end: round(loadavg()[0] ?? 0) };
          return {
            ...summarize(stamp, receipts, secrets[`subscriber-${SUBSCRIBER}`] ?? [], expected),
            loadAverage,
          };
        } finally {
          api.close();
        }
      },
      {
        env: {
          TOLLGATE_TIME_SCALE: '1',
          WEBHOOK_SUBSCRIBERS: JSON.stringify([
            { name: SUBSCRIBER, url, events: ['ticket.created', 'ticket.decided'] },
          ]),
        },
      },
    );
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

function summarize(
  stamp: RunStamp,
  receipts: Receipt[],
  secrets: string[],
  expected: number,
): Omit<OutboundLagResult, 'loadAverage'> {
  const first = new Map<string, Receipt>();
  for (const receipt of receipts) if (!first.has(receipt.id)) first.set(receipt.id, receipt);
  const unique = [...first.values()];
  const verifies = (receipt: Receipt) =>
    secrets.some((secret) => {
      try {
        new Webhook(secret).verify(receipt.text, receipt.headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    });
  const lags = (of: Receipt[]) =>
    of.map((receipt) => receipt.receivedAt - Date.parse(receipt.timestamp)).sort((a, b) => a - b);
  const all = lags(unique);
  const created = lags(unique.filter((receipt) => receipt.type === 'ticket.created'));
  return {
    ...stamp,
    tickets: OUTBOUND_LAG.tickets,
    perSecond: OUTBOUND_LAG.perSecond,
    events: expected,
    received: unique.length,
    repeats: receipts.length - unique.length,
    unverified: unique.filter((receipt) => !verifies(receipt)).length,
    missing: expected - unique.length,
    p50: round(percentile(all, 50)),
    p90: round(percentile(all, 90)),
    p99: round(percentile(all, 99)),
    max: all.at(-1) ?? 0,
    createdP99: round(percentile(created, 99)),
  };
}
