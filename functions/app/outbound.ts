import type { Identity } from '../domain/directory';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import {
  claimAttempt,
  type Delivery,
  type DeliveryStatus,
  deliveriesOf,
  isDue,
  recordAttempt,
  redrive,
  type Subscriber,
  wants,
} from '../domain/outbound/deliveries';
import type { OutboundEvent } from '../domain/outbound/events';
import type { Ticket } from '../domain/ticket';
import type {
  Clock,
  CursorCodec,
  DeliverySender,
  DeliveryStore,
  DispatchRequest,
  DispatchTrigger,
  TicketPage,
  TicketStore,
} from './ports';
import { assertAnyRole } from './roles';

/**
 * Webhooks out. A ticket's changes append their events to its outbox in the same conditional write
 * (domain/ticket.ts applyChange); here each event becomes one delivery per subscriber that wants
 * it, tried once at once and then on the dispatcher's schedule, with backoff, for 24 hours.
 */

export interface DispatchDeps {
  clock: Clock;
  tickets: Pick<TicketStore, 'get'>;
  deliveries: DeliveryStore;
  sender: DeliverySender;
  /** In [0, 1): spreads each retry's wait (domain/outbound/deliveries.ts retryDelayMs). */
  random: () => number;
  log: (message: string, details: Record<string, unknown>) => void;
  settings: { subscribers: readonly Subscriber[]; timeScale: number };
}

/**
 * How long an attempt keeps a delivery from the other dispatchers: past it, an attempt whose result
 * was never recorded (its dispatcher stopped) is due again. Real time, not scaled: it covers a send
 * (5 seconds at most) and the writes around it.
 */
export const ATTEMPT_LEASE_MS = 60_000;
/** Deliveries one scheduled run tries, and how many at once. */
const DUE_PER_RUN = 100;
const AT_ONCE = 8;
/** An hour of changes is swept once it has been over this long (writes stamped late by a slow clock). */
const SWEEP_LAG_MS = 5 * 60_000;
/** Hours one run sweeps at most, so a long backlog is caught up over several runs. */
const SWEEP_HOURS_PER_RUN = 6;
/**
 * The sweep derives the deliveries of events at most this much older than the hour it reads: a
 * ticket that changed again before its earlier hour was swept is found in the later hour. (Older
 * events' deliveries may have expired; a subscriber added since should not get them.)
 */
export const SWEEP_RECHECK_MS = 7 * 24 * 3600 * 1000;

export interface DispatchResult {
  derived: number;
  attempted: number;
  delivered: number;
  failed: number;
}

/**
 * Primary course of a ticket's write: the deliveries of its new events created (a delivery that
 * exists already is left as it is), and each tried once, now. Events the ticket does not carry
 * (a request for a write that never committed) are ignored.
 */
export async function dispatchTicketEvents(
  deps: DispatchDeps,
  request: { ticket: string; events: string[] },
): Promise<DispatchResult> {
  const ticket = await deps.tickets.get(request.ticket);
  const asked = new Set(request.events);
  const events = (ticket?.outbox ?? []).filter((event) => asked.has(event.id));
  const created = ticket ? await createDeliveries(deps, ticket.id, events) : [];
  return tally(created.length, await attemptAll(deps, created));
}

/** Primary course of a redrive's request: the deliveries named, tried now if they are due. */
export async function dispatchDeliveries(deps: DispatchDeps, ids: string[]): Promise<DispatchResult> {
  const found = await Promise.all(ids.map((id) => deps.deliveries.get(id)));
  return tally(
    0,
    await attemptAll(
      deps,
      found.filter((delivery) => delivery !== undefined),
    ),
  );
}

export function dispatch(deps: DispatchDeps, request: DispatchRequest): Promise<DispatchResult> {
  return 'deliveries' in request
    ? dispatchDeliveries(deps, request.deliveries)
    : dispatchTicketEvents(deps, request);
}

/**
 * Primary course of the schedule: derive the deliveries that a write's own request never derived
 * (the writer stopped after its write, or the request was lost), then try every delivery that is
 * due, oldest due first.
 */
export async function runDispatcher(deps: DispatchDeps): Promise<DispatchResult> {
  const derived = await sweepUnderived(deps);
  const due = await deps.deliveries.due(deps.clock.now(), DUE_PER_RUN);
  return tally(derived, await attemptAll(deps, due));
}

/** One delivery per event and subscriber that wants it, each written unless it exists. */
async function createDeliveries(
  deps: DispatchDeps,
  ticketId: string,
  events: readonly OutboundEvent[],
): Promise<Delivery[]> {
  const now = deps.clock.now();
  const candidates = events.flatMap((event) => deliveriesOf(event, ticketId, deps.settings.subscribers, now));
  if (candidates.length === 0) return [];
  const existing = await deps.deliveries.existing(candidates.map((delivery) => delivery.id));
  const created: Delivery[] = [];
  for (const delivery of candidates) {
    if (!existing.has(delivery.id) && (await deps.deliveries.create(delivery))) created.push(delivery);
  }
  return created;
}

type Outcome = Delivery['status'] | 'skipped';

async function attemptAll(deps: DispatchDeps, deliveries: readonly Delivery[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const queue = [...deliveries];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) outcomes.push(await attempt(deps, next));
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, queue.length) }, worker));
  return outcomes;
}

/**
 * One attempt: claimed by one conditional write (another dispatcher that read the delivery at the
 * same revision loses, and skips it), sent, and its result recorded on the claim. `skipped`: not
 * due, or claimed by another.
 */
async function attempt(deps: DispatchDeps, delivery: Delivery): Promise<Outcome> {
  const now = deps.clock.now();
  if (!isDue(delivery, now)) return 'skipped';
  const claimed = claimAttempt(delivery, now, ATTEMPT_LEASE_MS);
  if (!(await deps.deliveries.replace(delivery, claimed))) return 'skipped';
  const subscriber = deps.settings.subscribers.find(({ name }) => name === delivery.subscriber);
  const result =
    subscriber && wants(subscriber, delivery.event.type)
      ? await deps.sender.send(subscriber, claimed)
      : {
          ok: false,
          result: `not sent: ${delivery.subscriber} is no longer subscribed to ${delivery.event.type}`,
        };
  const recorded = recordAttempt(claimed, result, deps.clock.now(), {
    random: deps.random(),
    timeScale: deps.settings.timeScale,
  });
  if (!(await deps.deliveries.replace(claimed, recorded))) {
    // The lease ran out and another dispatcher took the next attempt: its record stands.
    deps.log('Delivery attempt outlived its lease; its result is not recorded', { delivery: delivery.id });
    return 'skipped';
  }
  if (!result.ok) {
    deps.log('Webhook delivery attempt failed', {
      delivery: delivery.id,
      attempt: recorded.attempts,
      result: result.result,
      status: recorded.status,
    });
  }
  return recorded.status;
}

function tally(derived: number, outcomes: Outcome[]): DispatchResult {
  const attempted = outcomes.filter((outcome) => outcome !== 'skipped');
  return {
    derived,
    attempted: attempted.length,
    delivered: attempted.filter((outcome) => outcome === 'delivered').length,
    failed: attempted.filter((outcome) => outcome === 'failed').length,
  };
}

const HOUR_MS = 3600_000;
const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);
const startOf = (hour: string): number => Date.parse(`${hour}:00:00.000Z`);

/**
 * The safety net. Each hour of ticket changes (gsi6 `CHANGED#{hour}`, as the audit checkpoint reads
 * them) is read once, when it has been over a few minutes, from the hour the last run stopped at:
 * every event of those tickets that lacks a delivery gets it. The first run starts at its own hour.
 */
async function sweepUnderived(deps: DispatchDeps): Promise<number> {
  if (deps.settings.subscribers.length === 0) return 0;
  const now = deps.clock.now().getTime();
  let hour = await deps.deliveries.sweepHour();
  if (hour === null) {
    await deps.deliveries.moveSweepHour(null, hourOf(now));
    return 0;
  }
  let derived = 0;
  for (let swept = 0; swept < SWEEP_HOURS_PER_RUN && startOf(hour) + HOUR_MS + SWEEP_LAG_MS <= now; swept++) {
    const since = startOf(hour) - SWEEP_RECHECK_MS;
    for (const ticket of await deps.deliveries.outboxesChangedIn(hour)) {
      const recent = ticket.outbox.filter((event) => Date.parse(event.at) >= since);
      derived += (await createDeliveries(deps, ticket.id, recent)).length;
    }
    const next = hourOf(startOf(hour) + HOUR_MS);
    await deps.deliveries.moveSweepHour(hour, next);
    hour = next;
  }
  if (derived > 0) deps.log('Derived deliveries that no write had asked for', { derived });
  return derived;
}

export interface OutboundAdminDeps {
  clock: Clock;
  deliveries: DeliveryStore;
  cursors: CursorCodec;
  dispatcher: DispatchTrigger;
  log: (message: string, details: Record<string, unknown>) => void;
}

const ADMINS = ['admin'] as const;

/** Primary course: one page of the deliveries in a status, newest first (admin). */
export async function listDeliveries(
  deps: Pick<OutboundAdminDeps, 'deliveries' | 'cursors'>,
  caller: Identity,
  query: { status: DeliveryStatus; limit: number; cursor?: string },
): Promise<{ items: Delivery[]; next: string | null }> {
  assertAnyRole(caller, ADMINS, 'read webhook deliveries');
  const after = query.cursor ? cursorPosition(deps.cursors.decode(query.cursor), query.status) : undefined;
  const page = await deps.deliveries.list(query.status, { after, limit: query.limit });
  return {
    items: page.items,
    next: page.last
      ? deps.cursors.encode({ list: 'deliveries', status: query.status, after: page.last })
      : null,
  };
}

function cursorPosition(payload: Record<string, unknown>, status: DeliveryStatus): string {
  if (payload.list !== 'deliveries' || payload.status !== status || typeof payload.after !== 'string') {
    throw new ValidationError('The cursor does not belong to this query', {
      cursor: 'belongs to another query',
    });
  }
  return payload.after;
}

/**
 * Primary course: a failed delivery is pending again, with 24 hours of retries of its own, and is
 * tried at once (admin). Alternate course: one that is not failed (pending, delivered, or redriven
 * by a concurrent request) is a 409, and nothing changes.
 */
export async function redriveDelivery(
  deps: OutboundAdminDeps,
  caller: Identity,
  id: string,
): Promise<Delivery> {
  assertAnyRole(caller, ADMINS, 'redrive webhook deliveries');
  const read = await deps.deliveries.get(id);
  if (!read) throw new NotFoundError(`No delivery ${id}`);
  const next = redrive(read, caller.id, deps.clock.now());
  if (!(await deps.deliveries.replace(read, next))) {
    throw new ConflictError(`The delivery ${id} changed meanwhile: only a failed delivery is redriven`);
  }
  try {
    await deps.dispatcher.dispatch({ deliveries: [id] });
  } catch (error) {
    deps.log('Redriven delivery not handed to the dispatcher; its schedule sends it', {
      delivery: id,
      error: (error as Error).name,
    });
  }
  return next;
}

/**
 * The ticket store as the use cases write through it: after a write that committed events some
 * subscriber wants, the dispatcher is asked to deliver them at once. The write stands whatever
 * happens to that request; an event it does not reach is found by the dispatcher's sweep.
 */
export class DispatchingTicketStore implements TicketStore {
  constructor(
    private readonly store: TicketStore,
    private readonly outbound: {
      dispatcher: DispatchTrigger | null;
      subscribers: readonly Subscriber[];
      log: (message: string, details: Record<string, unknown>) => void;
    },
  ) {}

  get(id: string) {
    return this.store.get(id);
  }
  async create(ticket: Ticket) {
    await this.store.create(ticket);
    await this.announce(ticket, 0);
  }
  allocateNumber() {
    return this.store.allocateNumber();
  }
  getByNumber(allocated: number) {
    return this.store.getByNumber(allocated);
  }
  async save(ticket: Ticket, readVersion: number) {
    await this.store.save(ticket, readVersion);
    await this.announce(ticket, readVersion);
  }
  entitlementsApprovedFor(beneficiary: string) {
    return this.store.entitlementsApprovedFor(beneficiary);
  }
  executionsToStop() {
    return this.store.executionsToStop();
  }
  inFlightFor(...args: Parameters<TicketStore['inFlightFor']>) {
    return this.store.inFlightFor(...args);
  }
  awaitingApprovalOn(system: string) {
    return this.store.awaitingApprovalOn(system);
  }
  addViewers(ticketId: string, identityIds: string[]) {
    return this.store.addViewers(ticketId, identityIds);
  }
  list(...args: Parameters<TicketStore['list']>): Promise<TicketPage> {
    return this.store.list(...args);
  }

  /** The events this write added (each carries the ticket's version after its change) that someone wants. */
  private async announce(ticket: Ticket, readVersion: number): Promise<void> {
    const { dispatcher, subscribers, log } = this.outbound;
    const events = (ticket.outbox ?? []).filter(
      (event) =>
        Number(event.data.ticketVersion) > readVersion &&
        subscribers.some((subscriber) => wants(subscriber, event.type)),
    );
    if (!dispatcher || events.length === 0) return;
    try {
      await dispatcher.dispatch({ ticket: ticket.id, events: events.map((event) => event.id) });
    } catch (error) {
      log('Events written but not handed to the dispatcher; its sweep delivers them', {
        ticketId: ticket.id,
        error: (error as Error).name,
      });
    }
  }
}
