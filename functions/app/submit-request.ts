import { accountablePersonId, type Identity, isActive } from '../domain/directory';
import { ConflictError, DomainError, ValidationError } from '../domain/errors';
import { assertMayFileFor } from '../domain/filing';
import { type AccessRequest, requestBodySchema, type SupportRequest } from '../domain/intake';
import { createdEvents } from '../domain/outbound/events';
import { decideDuration } from '../domain/requested-duration';
import { type Route, routeAccessRequest } from '../domain/routing';
import { applyChange, fulfilmentRecordFor, type Ticket, ticketNumber } from '../domain/ticket';
import { appendEvent } from '../domain/timeline';
import { parseOrThrow } from '../domain/validation';
import { bodyHash } from './body-hash';
import { askDelegates } from './delegations';
import { TicketExistsError } from './errors';
import { decideByPolicy, type PolicyDeps } from './policy-decisions';
import type {
  Clock,
  DelegationStore,
  Directory,
  Faults,
  IdempotencyRecord,
  IdempotencyStore,
  Ids,
  TicketStore,
  Workflow,
} from './ports';

export interface SubmitDeps extends PolicyDeps {
  clock: Clock;
  ids: Ids;
  directory: Directory;
  tickets: TicketStore;
  idempotency: IdempotencyStore;
  workflow: Workflow;
  faults: Faults;
  delegations: DelegationStore;
  log: (message: string, details: Record<string, unknown>) => void;
  /** The cap, and default duration, of admin entitlements without a maxDuration of their own. */
  settings: { adminDefaultMaxDuration: string };
}

export interface Submission {
  caller: Identity;
  body: unknown;
  idempotencyKey?: string;
  /** The grant an extension extends (POST /grants/{id}/extend). */
  extends?: string;
  /** Filed by an integration's webhook: the ticket's timeline names it and the webhook id. */
  received?: { webhook: string; integration: string; actor: string };
}

const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/**
 * Primary course: validate the request, decide its route, store the ticket in one write, and start
 * its workflow. A ticket whose workflow could not be started is started by the reconcile job.
 */
export async function submitRequest(
  deps: SubmitDeps,
  submission: Submission,
): Promise<{ ticket: Ticket; replayed: boolean }> {
  const result = await storeRequest(deps, submission);
  deps.faults.faultPoint('after-intake');
  try {
    await deps.workflow.start(result.ticket.id);
  } catch (error) {
    deps.log('Ticket stored but its workflow did not start; reconcile will start it', {
      ticketId: result.ticket.id,
      error: (error as Error).name,
    });
  }
  return result;
}

async function storeRequest(
  deps: SubmitDeps,
  submission: Submission,
): Promise<{ ticket: Ticket; replayed: boolean }> {
  const now = deps.clock.now();
  if (submission.idempotencyKey) return createOnce(deps, submission, submission.idempotencyKey, now);
  const ticket = await draftTicket(deps, submission, deps.ids.ticketId(), now);
  await deps.tickets.create(ticket);
  return { ticket, replayed: false };
}

/**
 * The key is decided before the body is even validated: the same body answers the response first
 * sent, whatever the catalog and directory say now, and another body is a 409 whether or not it is
 * valid. (caller, key) is reserved with the body's hash and the ticket id before the ticket is
 * written, so a retry after a crash completes that same ticket instead of filing a second one.
 */
async function createOnce(deps: SubmitDeps, submission: Submission, key: string, now: Date) {
  const caller = submission.caller.id;
  const hash = bodyHash(
    submission.extends ? { extends: submission.extends, body: submission.body } : submission.body,
  );
  const candidate = {
    caller,
    key,
    bodyHash: hash,
    ticketId: deps.ids.ticketId(),
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS).toISOString(),
    response: null,
  };
  const record = await deps.idempotency.reserve(candidate, now);
  if (record.bodyHash !== hash) {
    throw new ConflictError('This Idempotency-Key was already used with a different request body');
  }
  if (record.response) return { ticket: record.response as Ticket, replayed: true };

  // A reservation this call did not make was left by an attempt that crashed or is still running:
  // its ticket may be stored already, and then it is the answer, drafted when the key was first used.
  const reservedHere = record.ticketId === candidate.ticketId;
  let stored = reservedHere ? undefined : await deps.tickets.get(record.ticketId);
  let created = false;
  if (!stored) {
    const ticket = await draftOrRelease(deps, submission, record, now);
    stored = await createOrRead(deps.tickets, ticket);
    created = stored === ticket;
  }
  const response = (await deps.idempotency.complete(caller, key, stored)) as Ticket;
  return { ticket: response, replayed: !created };
}

/**
 * A request refused (invalid, not allowed, not routable) stored nothing, so its reservation is
 * dropped rather than kept as the key's answer: the corrected request may use the same key, and
 * the same refused body is simply refused again. Only a refusal frees the key; after any other
 * failure the ticket may or may not be written, and the reservation is what lets a retry finish it.
 */
async function draftOrRelease(
  deps: SubmitDeps,
  submission: Submission,
  record: IdempotencyRecord,
  now: Date,
) {
  try {
    return await draftTicket(deps, submission, record.ticketId, now);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    await deps.idempotency.release(record.caller, record.key, record.ticketId).catch((failure: Error) =>
      // The refusal still stands; the key stays reserved until it expires.
      deps.log('Could not free the Idempotency-Key of a refused request', {
        ticketId: record.ticketId,
        error: failure.name,
      }),
    );
    throw error;
  }
}

async function draftTicket(deps: SubmitDeps, submission: Submission, id: string, now: Date): Promise<Ticket> {
  const body = parseOrThrow(requestBodySchema, submission.body, 'request');
  const drafted =
    body.type === 'support'
      ? await draftSupportTicket(deps, submission.caller, body, id, now)
      : await draftAccessTicket(deps, submission.caller, body, id, now);
  const ticket = submission.extends ? { ...drafted, extends: submission.extends } : drafted;
  if (!submission.received) return ticket;
  const { actor, ...received } = submission.received;
  return applyChange(ticket, { type: 'received_by_webhook', at: now.toISOString(), actor, data: received });
}

async function createOrRead(tickets: TicketStore, ticket: Ticket): Promise<Ticket> {
  try {
    await tickets.create(ticket);
    return ticket;
  } catch (error) {
    if (!(error instanceof TicketExistsError)) throw error;
    const existing = await tickets.get(ticket.id);
    if (!existing) throw error;
    return existing;
  }
}

async function draftAccessTicket(
  deps: SubmitDeps,
  caller: Identity,
  body: AccessRequest,
  id: string,
  now: Date,
): Promise<Ticket> {
  const beneficiaryId = body.beneficiary ?? caller.id;
  const [beneficiary, system] = await Promise.all([
    deps.directory.identity(beneficiaryId),
    deps.directory.system(body.system),
  ]);
  const fields: Record<string, string> = {};
  if (!isActive(beneficiary))
    fields.beneficiary = beneficiary ? `is ${beneficiary.status}` : 'is not in the directory';
  else if (beneficiary.ownerDeparted) {
    fields.beneficiary = `is a service account whose owner, ${beneficiary.ownerId}, has departed: it can be requested for again once an admin sets a new owner`;
  }
  const entitlement = system?.entitlements.find((candidate) => candidate.id === body.entitlement);
  if (!system) fields.system = 'is not in the catalog';
  else if (!entitlement) fields.entitlement = `is not an entitlement of ${system.id}`;
  const decided =
    system && entitlement
      ? decideDuration({
          requested: body.duration ?? null,
          systemId: system.id,
          entitlement,
          adminDefaultMax: deps.settings.adminDefaultMaxDuration,
          now,
        })
      : null;
  if (decided && 'problem' in decided) fields.duration = decided.problem;
  const durationBasis = decided && 'basis' in decided ? decided.basis : null;
  if (Object.keys(fields).length > 0 || !beneficiary || !system || !entitlement || !durationBasis) {
    throw new ValidationError('The request names something that cannot be requested', fields);
  }
  await assertMayFileFor(caller, beneficiary, deps.directory);

  const request = { requester: caller, beneficiary, system, entitlement };
  const { decision: policy, snapshot } = await decideByPolicy(
    deps,
    {
      ...request,
      urgency: body.urgency,
      duration: body.duration ?? null,
      justification: body.justification,
      evidenceCount: body.evidence.length,
      ticketId: id,
    },
    now,
  );
  const capped = decideDuration({
    requested: body.duration ?? null,
    systemId: system.id,
    entitlement,
    adminDefaultMax: deps.settings.adminDefaultMaxDuration,
    policyCap: policy.cap,
    now,
  });
  if ('problem' in capped) {
    throw new ValidationError('The duration is longer than policy allows', { duration: capped.problem });
  }
  const route = await routeAccessRequest(deps.directory, request, policy);
  const accountable = await deps.directory.identity(accountablePersonId(beneficiary));
  const beneficiaryOwner = beneficiary.kind === 'service' ? beneficiary.ownerId : null;
  // Nothing refuses the request from here on, so its writes and reads go out together: the
  // snapshot must be stored before the ticket that names it, and neither waits for the other.
  const [number, { decision, approvals }] = await Promise.all([
    deps.tickets.allocateNumber(),
    withFirstStageDelegates(
      deps,
      { requester: caller.id, beneficiary: beneficiary.id, beneficiaryOwner, system: system.id },
      route,
      now,
    ),
    deps.snapshots.put(snapshot),
  ]);
  const ticket = newTicket({ id, number }, caller, now, {
    type: 'access',
    beneficiary: beneficiary.id,
    beneficiaryOwner,
    department: accountable?.department ?? beneficiary.department,
    system: system.id,
    entitlement: entitlement.id,
    justification: body.justification,
    urgency: body.urgency,
    duration: capped.basis.applied,
    durationBasis: capped.basis,
    evidence: body.evidence,
    fulfilment: fulfilmentRecordFor(system, null),
  });
  return applyChange(
    ticket,
    {
      type: 'routed',
      at: now.toISOString(),
      actor: 'tollgate',
      data: { decision, path: approvals[0]?.path ?? [] },
    },
    { decision, approvals },
  );
}

/** The first stage opens at intake: the delegates in force now for its approvers are asked alongside them. */
async function withFirstStageDelegates(
  deps: SubmitDeps,
  parties: Pick<Ticket, 'requester' | 'beneficiary' | 'beneficiaryOwner' | 'system'>,
  route: Route,
  now: Date,
): Promise<Route> {
  const [first, ...later] = route.approvals;
  if (!first) return route;
  const asked = await askDelegates(
    deps,
    { ...parties, approvals: route.approvals },
    0,
    first.candidates,
    now,
  );
  if (Object.keys(asked.delegates).length === 0) return route;
  return { ...route, approvals: [{ ...first, ...asked }, ...later] };
}

async function draftSupportTicket(
  deps: SubmitDeps,
  caller: Identity,
  body: SupportRequest,
  id: string,
  now: Date,
): Promise<Ticket> {
  const queues = await deps.directory.supportQueues();
  const queue = queues.find((candidate) => candidate.categories.includes(body.category));
  if (!queue) {
    throw new ValidationError('No support queue serves this category', {
      category: `is served by no queue (served: ${[...new Set(queues.flatMap((each) => each.categories))].sort().join(', ')})`,
    });
  }
  return newTicket({ id, number: await deps.tickets.allocateNumber() }, caller, now, {
    type: 'support',
    beneficiary: caller.id,
    beneficiaryOwner: null,
    department: caller.department,
    urgency: body.urgency,
    category: body.category,
    description: body.description,
    fulfilment: { ...fulfilmentRecordFor(null, queue.id), fulfillers: queue.members },
  });
}

type TicketFacts = Pick<
  Ticket,
  'type' | 'beneficiary' | 'beneficiaryOwner' | 'department' | 'urgency' | 'fulfilment'
> &
  Partial<
    Pick<
      Ticket,
      | 'system'
      | 'entitlement'
      | 'justification'
      | 'duration'
      | 'durationBasis'
      | 'evidence'
      | 'category'
      | 'description'
    >
  >;

/**
 * A ticket as intake first writes it, `submitted` with its first event and its `ticket.created`
 * for subscribers; the bench records history with it too. Its number is allocated last, once
 * nothing can refuse the request any more.
 */
export function newTicket(
  ids: { id: string; number: number },
  caller: Identity,
  now: Date,
  facts: TicketFacts,
): Ticket {
  const at = now.toISOString();
  const ticket: Ticket = {
    id: ids.id,
    number: ticketNumber.format(ids.number),
    status: 'submitted',
    closure: null,
    requester: caller.id,
    system: null,
    entitlement: null,
    justification: null,
    duration: null,
    durationBasis: null,
    evidence: [],
    category: null,
    description: null,
    decision: null,
    approvals: [],
    grant: null,
    revocation: null,
    extends: null,
    assignee: null,
    sla: null,
    createdAt: at,
    updatedAt: at,
    timeline: appendEvent([], {
      type: 'submitted',
      at,
      actor: caller.id,
      reason: null,
      from: null,
      to: 'submitted',
      data: { type: facts.type },
    }),
    version: 1,
    ...facts,
  };
  return { ...ticket, outbox: createdEvents(ticket) };
}
