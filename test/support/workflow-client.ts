import type { ReconcileResult } from '../../functions/app/reconcile';
import type { OutboxMessage } from '../../functions/local/ses';

/** A client for the local system as a user with a browser and curl uses it: tokens, API calls, the outbox, link pages. */

export interface Ticket {
  id: string;
  status: string;
  closure: string | null;
  approvals: {
    stage: string;
    candidates: string[];
    decidedBy: string | null;
    decision: string | null;
    via: string | null;
    comment: string | null;
    deadline: string | null;
  }[];
  fulfilment: { result: string | null; by: string | null } | null;
  grant: { id: string; from: string; until: string | null } | null;
  revocation: { requestedBy: string; by: string | null; overdue: boolean } | null;
  timeline: {
    seq: number;
    type: string;
    at: string;
    reason: string | null;
    from: string | null;
    to: string | null;
    prev: string;
    hash: string;
    actor: string;
  }[];
  [key: string]: unknown;
}

type LocalEndpoints = {
  dynamodb: string;
  stepfunctions: string;
  ses: string;
  scheduler: string;
  s3: string;
  secretsmanager: string;
};

export class TollgateClient {
  private readonly tokens = new Map<string, string>();

  constructor(readonly url: string) {}

  async token(identity: string): Promise<string> {
    const cached = this.tokens.get(identity);
    if (cached) return cached;
    const response = await fetch(`${this.url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity }),
    });
    const { token } = (await response.json()) as { token: string };
    this.tokens.set(identity, token);
    return token;
  }

  async call<T = Record<string, unknown>>(
    as: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token(as)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** Runs the reconcile schedule now (local only) and answers what it did. */
  reconcile(): Promise<ReconcileResult> {
    return this.runSchedule<ReconcileResult>('reconcile');
  }

  /** Runs a schedule of functions/schedules.ts now (local only) and answers what its handler returned. */
  async runSchedule<T = unknown>(name: string): Promise<T> {
    const response = await fetch(`${this.url}/dev/schedules/${name}/run`, { method: 'POST' });
    if (response.status !== 200) throw new Error(`${name} answered ${response.status}`);
    return ((await response.json()) as { result: T }).result;
  }

  /** The local AWS-protocol endpoints (`GET /dev/endpoints`). */
  async endpoints(): Promise<LocalEndpoints> {
    return (await fetch(`${this.url}/dev/endpoints`)).json() as Promise<LocalEndpoints>;
  }

  /** An emailed link as this server serves it: links keep the origin of the process that minted them. */
  onThisServer(link: string): string {
    return link.replace(/^https?:\/\/[^/]+/, this.url);
  }

  async outbox(): Promise<OutboxMessage[]> {
    const response = await fetch(`${this.url}/dev/outbox`);
    return ((await response.json()) as { messages: OutboxMessage[] }).messages;
  }

  /** Waits for an email to `to` about `ticketId` whose subject starts with `subjectStart`, and answers its link. */
  async linkFor(to: string, ticketId: string, subjectStart: string, timeoutMs = 15_000): Promise<string> {
    const message = await eventually(
      async () =>
        (await this.outbox()).find(
          (m) => m.to.includes(to) && m.subject.startsWith(subjectStart) && m.subject.includes(ticketId),
        ),
      timeoutMs,
    );
    const link = message.links[0];
    if (!link) throw new Error(`Email "${message.subject}" has no link`);
    return link;
  }

  async openLink(link: string): Promise<{ status: number; html: string; csrf: string | null }> {
    const response = await fetch(link);
    const html = await response.text();
    return { status: response.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? null };
  }

  /** Opens the link page and submits its form as a browser would. */
  async submitLink(link: string, fields: Record<string, string>): Promise<{ status: number; html: string }> {
    const page = await this.openLink(link);
    const response = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: page.csrf ?? '', ...fields }).toString(),
    });
    return { status: response.status, html: await response.text() };
  }

  /**
   * Files `body` as `requester` (for themselves), has `manager` approve and `fulfiller` fulfil it by
   * their emailed links, and answers the ticket once its grant item is written too (right after the
   * ticket that names it).
   */
  async grantThrough(
    requester: string,
    manager: string,
    fulfiller: string,
    body: Record<string, unknown>,
  ): Promise<Ticket & { grant: { id: string; from: string; until: string } }> {
    const filed = await this.call<{ id: string }>(requester, 'POST', '/requests', body);
    if (filed.status !== 201) throw new Error(`Could not file: ${JSON.stringify(filed.body)}`);
    const id = filed.body.id;
    await this.submitLink(await this.linkFor(manager, id, 'Approval needed'), { decision: 'approve' });
    await this.submitLink(await this.linkFor(fulfiller, id, 'To fulfil'), { result: 'done' });
    const granted = await this.ticketWhen(requester, id, (ticket) => ticket.grant !== null);
    await eventually(async () => {
      const own = await this.call<{ items: { ticket: string }[] }>(requester, 'GET', '/grants?limit=100');
      return own.body.items.some((grant) => grant.ticket === id) || undefined;
    });
    return granted as Ticket & { grant: { id: string; from: string; until: string } };
  }

  async ticket(as: string, id: string): Promise<Ticket> {
    return (await this.call<Ticket>(as, 'GET', `/requests/${id}`)).body;
  }

  /** Waits until the ticket satisfies `done`: the workflow moves on asynchronously after a decision. */
  async ticketWhen(
    as: string,
    id: string,
    done: (ticket: Ticket) => boolean,
    timeoutMs = 20_000,
  ): Promise<Ticket> {
    return eventually(async () => {
      const ticket = await this.ticket(as, id);
      return done(ticket) ? ticket : undefined;
    }, timeoutMs);
  }
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
