import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import { localWebhookSecrets } from '../functions/local/webhook-client';
import { devToken, JsonClient, type JsonResponse, seededPeople, unexpected } from './http-client';
import type { Ready } from './local-system';
import { type Measurement, measureInterleaved, percentile, round, shuffled } from './measure';
import type { Progress } from './progress';
import { compare, type RatioResult, type RunStamp } from './report';
import type { Comparison } from './scenarios';

/**
 * Inbound webhooks against intake: per client count, 1,000 calls of each after 50 each to warm up.
 * Then 100 distinct `ticket.create` events delivered 10 times each, shuffled, from 32 concurrent
 * senders, so copies of an event are often in flight together.
 */
export const WEBHOOKS = {
  counts: { warmup: 50, requests: 1000 },
  clients: [1, 8],
  events: 100,
  copies: 10,
  concurrency: 32,
  /** The shuffle's seed: every run sends the copies in the same order. */
  seed: 15,
  /** About how many times each person HR added for the bench is changed. */
  updatesPerPerson: 20,
};

export interface DuplicatesResult {
  events: number;
  copies: number;
  deliveries: number;
  concurrency: number;
  seconds: number;
  /** Deliveries sent while another copy of the same event was still waiting for its answer. */
  overlapping: number;
  /** How many deliveries got each status. */
  statuses: Record<string, number>;
  /** Answers without `idempotent-replayed: true`: ideally one per event. */
  originals: number;
  /** Events all of whose copies got the same status and body. */
  eventsAnsweredAlike: number;
  /** Distinct ticket ids the answers name. */
  ticketsAnswered: number;
  /** Tickets the requester has, as `GET /requests?requester=` lists them to an auditor. */
  ticketsStored: number;
  /** Stored tickets with exactly one `received_by_webhook` event, naming one of the events sent. */
  ticketsReceivedOnce: number;
  /** Latency of every delivery, and of the replayed ones alone, in ms. */
  all: { p50: number; p99: number; max: number };
  replayed: { p50: number; p99: number; max: number };
  pass: boolean;
}

export interface WebhooksResult extends RunStamp {
  counts: { warmup: number; requests: number };
  updatesPerPerson: number;
  latency: Measurement[];
  ratios: RatioResult[];
  duplicates: DuplicatesResult;
}

const accessRequest = {
  type: 'access',
  system: 'github',
  entitlement: 'github-read',
  justification: 'Reading the repositories to review pull requests',
};

/** The ratios reported: each webhook over intake, at each client count. */
export const webhookComparisons: Comparison[] = WEBHOOKS.clients.flatMap((clients) =>
  ['ticket.create', 'identity.updated'].flatMap((type) =>
    (['p50', 'p99'] as const).map((statistic) => ({
      numerator: `webhook ${type} ×${clients}`,
      denominator: `intake ×${clients}`,
      statistic,
    })),
  ),
);

/**
 * On one fresh local system: first the duplicates (on a quiet store), then the latencies of intake
 * and of the two webhooks, interleaved call by call.
 */
export async function measureWebhooks(
  system: Ready,
  stamp: RunStamp,
  progress: Progress,
): Promise<WebhooksResult> {
  const secrets = localWebhookSecrets(system.dataDir);
  const signer = (integration: string) => {
    const secret = secrets[integration]?.[0];
    if (!secret) throw new Error(`No local secret for ${integration} in ${system.dataDir}`);
    return new Webhook(secret);
  };
  const api = new JsonClient(system.url, Math.max(WEBHOOKS.concurrency, ...WEBHOOKS.clients));
  try {
    const hooks = {
      hr: new Sender(api, 'hr', signer('hr')),
      servicedesk: new Sender(api, 'servicedesk', signer('servicedesk')),
    };
    const duplicates = await deliverDuplicates(api, hooks, progress);
    const latency: Measurement[] = [];
    for (const clients of WEBHOOKS.clients) {
      latency.push(...(await measureLatencies(api, hooks, clients, progress)));
    }
    return {
      ...stamp,
      counts: WEBHOOKS.counts,
      updatesPerPerson: WEBHOOKS.updatesPerPerson,
      latency,
      ratios: compare(latency, webhookComparisons),
      duplicates,
    };
  } finally {
    api.close();
  }
}

/** Signs each delivery as an integration does (Standard Webhooks, its local secret, a fresh timestamp) and posts it. */
class Sender {
  constructor(
    private readonly api: JsonClient,
    private readonly integration: string,
    private readonly webhook: Webhook,
  ) {}

  /** The body of one event: each copy of an event is sent with the same bytes. */
  static body(type: string, data: Record<string, unknown>): string {
    return JSON.stringify({ type, timestamp: new Date().toISOString(), data });
  }

  send(id: string, body: string): Promise<JsonResponse> {
    const at = new Date();
    return this.api.postText(`/webhooks/${this.integration}`, body, {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(id, at, body),
    });
  }

  async expect(status: number, id: string, body: string, what: string): Promise<JsonResponse> {
    const response = await this.send(id, body);
    if (response.status !== status) throw unexpected(what, response);
    return response;
  }
}

type Senders = { hr: Sender; servicedesk: Sender };

const runId = Date.now().toString(36);

/** HR reports a new person, whom nobody else files for: what they are sent is all that is theirs. */
async function newPerson(hooks: Senders, id: string): Promise<void> {
  await hooks.hr.expect(
    200,
    `msg_${runId}_create_${id}`,
    Sender.body('identity.created', {
      identity: id,
      kind: 'human',
      name: `Bench ${id}`,
      department: 'Engineering',
      managerId: 'erin.lead@example.com',
    }),
    `identity.created ${id}`,
  );
}

/**
 * Intake (`POST /requests`), the servicedesk's `ticket.create` filing the same request for the same
 * person, and HR's `identity.updated` (a new title each time, so each is a change), measured
 * together. Each client changes people of its own (two writes of one entry at once would race),
 * each about `updatesPerPerson` times: an entry carries the history of its writes, so changing one
 * person a thousand times would measure an item growing with each call.
 */
async function measureLatencies(
  api: JsonClient,
  hooks: Senders,
  clients: number,
  progress: Progress,
): Promise<Measurement[]> {
  const people = await seededPeople(api, clients);
  const { warmup, requests } = WEBHOOKS.counts;
  const perClient = Math.ceil((warmup + requests) / clients / WEBHOOKS.updatesPerPerson);
  const hrPeople = Array.from({ length: clients }, (_, client) =>
    Array.from({ length: perClient }, (_, n) => `bench-hr-${clients}-${client}-${n}@example.com`),
  );
  for (const id of hrPeople.flat()) await newPerson(hooks, id);
  const updates = hrPeople.map(() => 0);
  const person = (client: number) => people[client % people.length] as { id: string; token: string };
  return measureInterleaved(
    [
      {
        name: `intake ×${clients}`,
        operation: async (client) => {
          const response = await api.post('/requests', accessRequest, {
            authorization: `Bearer ${person(client).token}`,
          });
          if (response.status !== 201) throw unexpected('POST /requests', response);
        },
      },
      {
        name: `webhook ticket.create ×${clients}`,
        operation: async (client, index) => {
          const body = Sender.body('ticket.create', { ...accessRequest, requester: person(client).id });
          await hooks.servicedesk.expect(201, `msg_${runId}_file_${clients}_${index}`, body, 'ticket.create');
        },
      },
      {
        name: `webhook identity.updated ×${clients}`,
        operation: async (client, index) => {
          const own = hrPeople[client] ?? [];
          const update = updates[client] ?? 0;
          updates[client] = update + 1;
          const identity = own[update % own.length] ?? '';
          const body = Sender.body('identity.updated', { identity, title: `Engineer ${index}` });
          await hooks.hr.expect(200, `msg_${runId}_update_${clients}_${index}`, body, 'identity.updated');
        },
      },
    ],
    clients,
    WEBHOOKS.counts,
    progress,
    `webhooks ×${clients}`,
  );
}

interface Delivery {
  event: number;
  status: number;
  body: string;
  replayed: boolean;
  ms: number;
}

/**
 * 100 distinct `ticket.create` events for one new person, each delivered 10 times (the same id and
 * bytes, signed afresh each time, as a sender's retries are), shuffled and sent by 32 concurrent
 * senders. Then what is stored is read back through the API, as an auditor sees it: exactly 100
 * tickets, each received once, and every copy answered as its event's first was.
 */
async function deliverDuplicates(
  api: JsonClient,
  hooks: Senders,
  progress: Progress,
): Promise<DuplicatesResult> {
  const { events, copies, concurrency, seed } = WEBHOOKS;
  const requester = `bench-duplicates-${runId}@example.com`;
  await newPerson(hooks, requester);
  const sent = Array.from({ length: events }, (_, event) => ({
    id: `msg_${runId}_duplicate_${event}`,
    body: Sender.body('ticket.create', {
      ...accessRequest,
      justification: `Reading the repositories to review pull requests (bench event ${event})`,
      requester,
    }),
  }));
  const order = shuffled(
    Array.from({ length: events * copies }, (_, n) => n % events),
    seed,
  );

  const inFlight = new Map<number, number>();
  const deliveries: Delivery[] = [];
  let overlapping = 0;
  let next = 0;
  const started = performance.now();
  const sender = async () => {
    while (next < order.length) {
      const event = order[next++] as number;
      const { id, body } = sent[event] as { id: string; body: string };
      if ((inFlight.get(event) ?? 0) > 0) overlapping++;
      inFlight.set(event, (inFlight.get(event) ?? 0) + 1);
      const start = performance.now();
      const response = await hooks.servicedesk.send(id, body);
      const ms = performance.now() - start;
      inFlight.set(event, (inFlight.get(event) ?? 1) - 1);
      deliveries.push({
        event,
        status: response.status,
        body: JSON.stringify(response.body),
        replayed: response.headers['idempotent-replayed'] === 'true',
        ms,
      });
      progress.update('webhook duplicates', deliveries.length, order.length, 'delivering');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const seconds = (performance.now() - started) / 1000;
  progress.finish(`webhook duplicates: ${order.length} deliveries of ${events} events`);

  const statuses: Record<string, number> = {};
  for (const { status } of deliveries) statuses[status] = (statuses[status] ?? 0) + 1;
  const byEvent = sent.map((_, event) => deliveries.filter((delivery) => delivery.event === event));
  const eventsAnsweredAlike = byEvent.filter(
    (answers) =>
      answers.length === copies &&
      answers.every(({ status, body }) => status === answers[0]?.status && body === answers[0]?.body),
  ).length;
  const answeredIds = new Set(
    deliveries.flatMap(({ status, body }) =>
      status === 201 ? [(JSON.parse(body) as { ticket: { id: string } }).ticket.id] : [],
    ),
  );

  const stored = await storedTickets(api, requester);
  const eventIds = new Set(sent.map(({ id }) => id));
  const ticketsReceivedOnce = stored.filter((ticket) => {
    const received = ticket.timeline.filter((event) => event.type === 'received_by_webhook');
    return received.length === 1 && eventIds.has(String(received[0]?.data?.webhook));
  }).length;

  const latencies = (list: Delivery[]) => {
    const sorted = list.map(({ ms }) => ms).sort((a, b) => a - b);
    return {
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
    };
  };
  const originals = deliveries.filter((delivery) => !delivery.replayed).length;
  return {
    events,
    copies,
    deliveries: deliveries.length,
    concurrency,
    seconds: round(seconds),
    overlapping,
    statuses,
    originals,
    eventsAnsweredAlike,
    ticketsAnswered: answeredIds.size,
    ticketsStored: stored.length,
    ticketsReceivedOnce,
    all: latencies(deliveries),
    replayed: latencies(deliveries.filter((delivery) => delivery.replayed)),
    pass:
      statuses['201'] === events * copies &&
      eventsAnsweredAlike === events &&
      answeredIds.size === events &&
      stored.length === events &&
      ticketsReceivedOnce === events &&
      stored.every((ticket) => answeredIds.has(ticket.id)),
  };
}

interface StoredTicket {
  id: string;
  timeline: { type: string; data?: Record<string, unknown> | null }[];
}

/** Every ticket `requester` filed, each read whole, as the auditor Aude reads them through the API. */
async function storedTickets(api: JsonClient, requester: string): Promise<StoredTicket[]> {
  const authorization = `Bearer ${await devToken(api, 'aude.audit@example.com')}`;
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: URLSearchParams = new URLSearchParams({
      requester,
      limit: '100',
      ...(cursor ? { cursor } : {}),
    });
    const page = await api.get(`/requests?${query}`, { authorization });
    if (page.status !== 200) throw unexpected('GET /requests', page);
    const body = page.body as { items: { id: string }[]; next: string | null };
    ids.push(...body.items.map(({ id }) => id));
    cursor = body.next;
  } while (cursor);
  return Promise.all(
    ids.map(async (id) => {
      const response = await api.get(`/requests/${id}`, { authorization });
      if (response.status !== 200) throw unexpected(`GET /requests/${id}`, response);
      return response.body as StoredTicket;
    }),
  );
}
