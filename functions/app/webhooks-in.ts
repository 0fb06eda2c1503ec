import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { type Identity, type IdentityEntry, identitySchema } from '../domain/directory';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { assertMayConfirmRevocationByWebhook, recordRevocationConfirmed } from '../domain/revocation';
import { parseOrThrow } from '../domain/validation';
import {
  envelopeSchema,
  type InboundEvent,
  type Integration,
  inboundDataSchemas,
  isInboundEventType,
} from '../domain/webhooks';
import { assertMayReportByWebhook, recordFulfilment } from '../domain/workflow';
import { bodyHash } from './body-hash';
import { resume } from './decisions';
import { UnauthenticatedError } from './errors';
import { applyIdentityChange, type IdentityChangeDeps } from './identity-changes';
import type {
  DirectoryStore,
  Faults,
  IdempotencyStore,
  Ids,
  TaskStore,
  WebhookSecrets,
  Workflow,
} from './ports';
import { type SubmitDeps, submitRequest } from './submit-request';
import { updateTicket } from './ticket-updates';

export interface WebhookInDeps
  extends Omit<SubmitDeps, 'directory' | 'settings'>,
    Omit<IdentityChangeDeps, 'directory' | 'settings'> {
  directory: DirectoryStore;
  settings: SubmitDeps['settings'] & IdentityChangeDeps['settings'];
  ids: Ids;
  idempotency: IdempotencyStore;
  tasks: TaskStore;
  workflow: Workflow;
  faults: Faults;
  webhookSecrets: WebhookSecrets;
  integrations: readonly Integration[];
}

export interface InboundWebhook {
  integration: string;
  headers: Record<string, string | undefined>;
  /** The body exactly as received: the signature covers its bytes. */
  rawBody: string;
}

/** What a webhook was answered, kept 24 hours under its id and answered again to a repeat. */
export interface WebhookAnswer {
  status: number;
  body: unknown;
  replayed?: boolean;
}

const RECEIPT_WINDOW_MS = 24 * 3600 * 1000;
/** How long a repeat waits for the first copy, still being handled, to record its answer. */
const CONCURRENT_WAIT_MS = 5000;
const POLL_MS = 50;

/**
 * Primary course: an integration's signed event is verified, checked against what the integration
 * may send, reserved under its `webhook-id` (a conditional put, so of two copies arriving together
 * one does the work), applied through the use case the API would call, and answered; the answer is
 * kept, so a repeat within 24 hours gets it again with no second effect. Alternate courses: an
 * unknown integration (404), a bad signature or a stale or future timestamp (401), a type the
 * integration may not send (403), malformed data (400): refused before anything is written.
 */
export async function receiveWebhook(
  deps: WebhookInDeps,
  request: InboundWebhook,
  answerError: (error: DomainError) => WebhookAnswer,
): Promise<WebhookAnswer> {
  const integration = deps.integrations.find(({ name }) => name === request.integration);
  if (!integration) throw new NotFoundError(`No integration ${request.integration}`);
  const webhookId = await verifySignature(deps, integration, request);
  const event = readEvent(integration, request.rawBody);

  const caller = `webhook:${integration.name}`;
  const now = deps.clock.now();
  const reservation = deps.ids.ticketId();
  const hash = bodyHash(JSON.parse(request.rawBody));
  const record = await deps.idempotency.reserve(
    {
      caller,
      key: webhookId,
      bodyHash: hash,
      ticketId: reservation,
      expiresAt: new Date(now.getTime() + RECEIPT_WINDOW_MS).toISOString(),
      response: null,
    },
    now,
  );
  if (record.bodyHash !== hash) {
    return answerError(new ConflictError('This webhook-id was already used for another event'));
  }
  if (record.response) return { ...(record.response as WebhookAnswer), replayed: true };
  if (record.ticketId !== reservation) {
    const first = await answerOfFirstCopy(deps, caller, webhookId);
    if (first) return { ...first, replayed: true };
    // The first copy crashed, or is slow: doing the work again is safe (each effect is idempotent),
    // and whichever answer is recorded first stays the answer.
  }

  let answer: WebhookAnswer;
  try {
    answer = await applyEvent(deps, event, { integration: integration.name, webhookId });
  } catch (error) {
    if (!(error instanceof DomainError)) {
      await deps.idempotency.release(caller, webhookId, reservation);
      throw error;
    }
    answer = answerError(error);
  }
  return (await deps.idempotency.complete(caller, webhookId, answer)) as WebhookAnswer;
}

/** Any of the integration's secrets verifies: during a rotation the sender signs with either. */
async function verifySignature(
  deps: WebhookInDeps,
  integration: Integration,
  request: InboundWebhook,
): Promise<string> {
  const headers = {
    'webhook-id': request.headers['webhook-id'] ?? '',
    'webhook-timestamp': request.headers['webhook-timestamp'] ?? '',
    'webhook-signature': request.headers['webhook-signature'] ?? '',
  };
  const secretId = integration.secretId ?? integration.name;
  const verifies = (secrets: string[]) => {
    let failure: unknown;
    for (const secret of secrets) {
      try {
        new Webhook(secret).verify(request.rawBody, headers, { jsonParse: false });
        return null;
      } catch (error) {
        failure = error;
      }
    }
    return failure;
  };
  let failure = verifies(await deps.webhookSecrets.secretsOf(secretId));
  if (failure instanceof WebhookVerificationError && failure.message === 'No matching signature found') {
    failure = verifies(await deps.webhookSecrets.secretsOf(secretId, { fresh: true }));
  }
  if (failure) throw new UnauthenticatedError(refusal(failure));
  if (headers['webhook-id'].length > 200)
    throw new UnauthenticatedError('The webhook-id is over 200 characters');
  return headers['webhook-id'];
}

function refusal(failure: unknown): string {
  const message = failure instanceof WebhookVerificationError ? failure.message : '';
  switch (message) {
    case 'Missing required headers':
      return 'The webhook-id, webhook-timestamp and webhook-signature headers are required';
    case 'Invalid Signature Headers':
      return 'The webhook-timestamp is not a number of seconds';
    case 'Message timestamp too old':
      return 'The webhook-timestamp is more than 5 minutes old';
    case 'Message timestamp too new':
      return 'The webhook-timestamp is more than 5 minutes ahead';
    default:
      return 'No signature matches any secret of this integration';
  }
}

function readEvent(integration: Integration, rawBody: string): InboundEvent {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new ValidationError('The body is not valid JSON', { '(body)': 'must be a JSON object' });
  }
  const envelope = parseOrThrow(envelopeSchema, body, 'webhook');
  if (!isInboundEventType(envelope.type)) {
    throw new ValidationError(`Unknown event type ${envelope.type}`, {
      type: `must be one of ${integration.events.join(', ')}`,
    });
  }
  if (!integration.events.includes(envelope.type)) {
    throw new ForbiddenError(`The integration ${integration.name} may not send ${envelope.type}`);
  }
  const data = parseOrThrow(inboundDataSchemas[envelope.type], envelope.data, 'data');
  return { type: envelope.type, data } as InboundEvent;
}

async function answerOfFirstCopy(
  deps: WebhookInDeps,
  caller: string,
  webhookId: string,
): Promise<WebhookAnswer | null> {
  const until = Date.now() + CONCURRENT_WAIT_MS;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const record = await deps.idempotency.find(caller, webhookId, deps.clock.now());
    if (record?.response) return record.response as WebhookAnswer;
  }
  return null;
}

interface Origin {
  integration: string;
  webhookId: string;
}

/** Who each effect names in the audit trail: the integration and the webhook id. */
const actorOf = (origin: Origin) => `webhook:${origin.integration}/${origin.webhookId}`;

async function applyEvent(deps: WebhookInDeps, event: InboundEvent, origin: Origin): Promise<WebhookAnswer> {
  switch (event.type) {
    case 'ticket.create':
      return fileRequest(deps, event.data, origin);
    case 'fulfilment.completed':
    case 'fulfilment.failed':
      return reportFulfilment(deps, event, origin);
    case 'identity.created':
    case 'identity.updated':
    case 'identity.departed':
      return changeIdentity(deps, event, origin);
  }
}

async function fileRequest(
  deps: WebhookInDeps,
  data: InboundEvent & { type: 'ticket.create' } extends { data: infer D } ? D : never,
  origin: Origin,
): Promise<WebhookAnswer> {
  const { requester, ...body } = data;
  const caller = await deps.directory.identity(requester);
  if (!caller) throw new ForbiddenError(`${requester} is not in the directory`);
  if (caller.status !== 'active') throw new ForbiddenError(`${requester}'s account is ${caller.status}`);
  const { ticket } = await submitRequest(deps, {
    caller,
    body,
    idempotencyKey: `webhook:${origin.integration}:${origin.webhookId}`,
    received: { webhook: origin.webhookId, integration: origin.integration, actor: actorOf(origin) },
  });
  return {
    status: 201,
    body: {
      webhook: origin.webhookId,
      ticket: { id: ticket.id, number: ticket.number, status: ticket.status },
    },
  };
}

/**
 * The integration that provisions a system reports on the delivery that asked it: the ticket's
 * fulfilment, or the removal of its access, is recorded and its execution resumed. Only that
 * system's integration may report. The same message again (its webhook-id is in the actor), after
 * a first delivery that failed once the ticket had recorded it, records nothing more: it resumes
 * the execution, which the failure may have left waiting, and is answered as the first would have been.
 */
async function reportFulfilment(
  deps: WebhookInDeps,
  event: Extract<InboundEvent, { type: 'fulfilment.completed' | 'fulfilment.failed' }>,
  origin: Origin,
): Promise<WebhookAnswer> {
  const { delivery, ticket: ticketId, note } = event.data;
  const task = await deps.tasks.get(delivery);
  const ticket =
    (task?.kind === 'fulfilment' || task?.kind === 'revoke') && task.ticketId === ticketId
      ? await deps.tickets.get(ticketId)
      : undefined;
  if (!task || !ticket) throw new NotFoundError(`No delivery ${delivery} for ticket ${ticketId}`);
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  if (system?.fulfilment.mode !== 'webhook' || system.fulfilment.integration !== origin.integration) {
    throw new ForbiddenError(`The integration ${origin.integration} does not provision this ticket's system`);
  }
  const result = event.type === 'fulfilment.completed' ? 'done' : 'failed';
  const now = deps.clock.now();
  const by = actorOf(origin);
  /** What the execution is resumed with: what is on record, when it is this message's. */
  let output: { result: string } = { result };
  const updated = await updateTicket(deps.tickets, ticketId, (current) => {
    const recorded = task.kind === 'revoke' ? current.revocation : current.fulfilment;
    if (recorded?.by === by && recorded.result) {
      output = { result: recorded.result };
      return current;
    }
    if (task.kind === 'revoke') {
      assertMayConfirmRevocationByWebhook(current, result);
      return recordRevocationConfirmed(current, {
        by,
        comment: note ?? null,
        at: now.toISOString(),
        via: 'webhook',
      });
    }
    assertMayReportByWebhook(current, now);
    return recordFulfilment(current, {
      by,
      result,
      note: note ?? null,
      at: now.toISOString(),
      via: 'webhook',
    });
  });
  await resume(deps, task, output);
  return {
    status: 200,
    body: { webhook: origin.webhookId, ticket: { id: updated.id, status: updated.status } },
  };
}

/**
 * HR reports a person: the entry is written and what it means for open tickets applied, as when an
 * admin changes it. Roles are never taken from HR: a new person has none, a known one keeps theirs.
 */
async function changeIdentity(
  deps: WebhookInDeps,
  event: Extract<InboundEvent, { type: 'identity.created' | 'identity.updated' | 'identity.departed' }>,
  origin: Origin,
): Promise<WebhookAnswer> {
  const { identity: id, ...reported } = event.data;
  const stored = await deps.directory.identity(id);
  if (!stored && event.type !== 'identity.created') throw new NotFoundError(`No identity ${id}`);
  const entry: IdentityEntry = identitySchema.parse({
    ...(stored ? withoutFlags(stored) : { status: 'active' }),
    ...reported,
    ...(event.type === 'identity.departed' ? { status: 'departed' } : {}),
    id,
    roles: stored?.roles ?? [],
  });
  const result = await applyIdentityChange(deps, { actor: actorOf(origin), identity: entry });
  const { entry: _, ...effects } = result;
  return { status: 200, body: { webhook: origin.webhookId, identity: id, ...effects } };
}

const withoutFlags = ({ ownerDeparted, ...entry }: Identity) => entry;
