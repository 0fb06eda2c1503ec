import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { accountablePersonId, type Identity, isActive } from '../domain/directory';
import { ConflictError, ValidationError } from '../domain/errors';
import { assertMayFileFor } from '../domain/filing';
import { type AccessRequest, requestBodySchema, type SupportRequest } from '../domain/intake';
import { decideDuration } from '../domain/requested-duration';
import { decisionFor, resolveManagerStage } from '../domain/routing';
import { applyChange, fulfilmentRecordFor, type Ticket } from '../domain/ticket';
import { appendEvent } from '../domain/timeline';
import { parseOrThrow } from '../domain/validation';
import { TicketExistsError } from './errors';
import type { Clock, Directory, Faults, IdempotencyStore, Ids, TicketStore, Workflow } from './ports';

export interface SubmitDeps {
  clock: Clock;
  ids: Ids;
  directory: Directory;
  tickets: TicketStore;
  idempotency: IdempotencyStore;
  workflow: Workflow;
  faults: Faults;
  log: (message: string, details: Record<string, unknown>) => void;
  /** The cap, and default duration, of admin entitlements without a maxDuration of their own. */
  settings: { adminDefaultMaxDuration: string };
}

export interface Submission {
  caller: Identity;
  body: unknown;
  idempotencyKey?: string;
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
  deps.faults.crashPoint('after-intake');
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
  const body = parseOrThrow(requestBodySchema, submission.body, 'request');
  const now = deps.clock.now();
  const draft =
    body.type === 'access'
      ? await draftAccessTicket(deps, submission.caller, body, now)
      : await draftSupportTicket(deps, submission.caller, body, now);

  if (!submission.idempotencyKey) {
    await deps.tickets.create(draft);
    return { ticket: draft, replayed: false };
  }
  return createOnce(deps, submission, draft, now);
}

/**
 * Reserves (caller, key) with the body's hash and the ticket id before writing the ticket, so a
 * retry after a crash completes that same ticket instead of filing a second one.
 */
async function createOnce(deps: SubmitDeps, submission: Submission, draft: Ticket, now: Date) {
  const caller = submission.caller.id;
  const key = submission.idempotencyKey as string;
  const bodyHash = createHash('sha256')
    .update(canonicalize(submission.body) ?? '')
    .digest('hex');
  const record = await deps.idempotency.reserve(
    {
      caller,
      key,
      bodyHash,
      ticketId: draft.id,
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS).toISOString(),
      response: null,
    },
    now,
  );
  if (record.bodyHash !== bodyHash) {
    throw new ConflictError('This Idempotency-Key was already used with a different request body');
  }
  if (record.response) return { ticket: record.response as Ticket, replayed: true };

  const ticket = { ...draft, id: record.ticketId };
  const stored = await createOrRead(deps.tickets, ticket);
  await deps.idempotency.complete(caller, key, stored);
  return { ticket: stored, replayed: stored !== ticket };
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
  assertMayFileFor(caller, beneficiary);

  const assignment = await resolveManagerStage(deps.directory, { requester: caller, beneficiary });
  const { decision, approvals } = decisionFor(assignment);
  const accountable = await deps.directory.identity(accountablePersonId(beneficiary));
  const ticket = newTicket(deps, caller, now, {
    type: 'access',
    beneficiary: beneficiary.id,
    beneficiaryOwner: beneficiary.kind === 'service' ? beneficiary.ownerId : null,
    department: accountable?.department ?? beneficiary.department,
    system: system.id,
    entitlement: entitlement.id,
    justification: body.justification,
    urgency: body.urgency,
    duration: durationBasis.applied,
    durationBasis,
    evidence: body.evidence,
    fulfilment: fulfilmentRecordFor(system, null),
  });
  return applyChange(
    ticket,
    { type: 'routed', at: now.toISOString(), actor: 'tollgate', data: { decision, path: assignment.path } },
    { decision, approvals },
  );
}

async function draftSupportTicket(
  deps: SubmitDeps,
  caller: Identity,
  body: SupportRequest,
  now: Date,
): Promise<Ticket> {
  const queues = await deps.directory.supportQueues();
  const queue = queues.find((candidate) => candidate.categories.includes(body.category));
  return newTicket(deps, caller, now, {
    type: 'support',
    beneficiary: caller.id,
    beneficiaryOwner: null,
    department: caller.department,
    urgency: body.urgency,
    category: body.category,
    description: body.description,
    fulfilment: { ...fulfilmentRecordFor(null, queue?.id ?? null), fulfillers: queue?.members ?? [] },
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

function newTicket(deps: SubmitDeps, caller: Identity, now: Date, facts: TicketFacts): Ticket {
  const at = now.toISOString();
  return {
    id: deps.ids.ticketId(),
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
}
