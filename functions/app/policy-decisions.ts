import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Entitlement, Identity, System } from '../domain/directory';
import type { Urgency } from '../domain/intake';
import { type PolicyInputs, peopleToRead, policyInputs } from '../domain/policy/inputs';
import { decideOutcome, type PolicyOutcome } from '../domain/policy/outcome';
import type { Ticket } from '../domain/ticket';
import type {
  Directory,
  GrantStore,
  PolicyEngine,
  PolicySnapshot,
  SnapshotStore,
  TicketStore,
} from './ports';

export interface PolicyDeps {
  directory: Directory;
  tickets: TicketStore;
  grants: GrantStore;
  policies: PolicyEngine;
  snapshots: SnapshotStore;
}

export interface AccessQuestion {
  requester: Identity;
  beneficiary: Identity;
  system: System;
  entitlement: Entitlement;
  urgency: Urgency;
  duration: string | null;
  justification: string;
  evidenceCount: number;
  /** The ticket being decided, when it exists already: what it is about to grant is not "held". */
  ticketId?: string;
}

/**
 * Primary course: gather what policies see (the people involved, the catalog's conflicts, what the
 * beneficiary holds), ask the live policy set every outcome question, and answer the decision with
 * the snapshot of those inputs it names by their hash. The snapshot is not written here: the caller
 * stores it once nothing can refuse the request, before the ticket that names it.
 */
export async function decideByPolicy(
  deps: PolicyDeps,
  question: AccessQuestion,
  now: Date,
): Promise<{ decision: PolicyOutcome & { inputs: string }; snapshot: PolicySnapshot }> {
  const { outcome, snapshot } = await askPolicies(deps, question, now);
  return { decision: { ...outcome, inputs: snapshot.hash }, snapshot };
}

/** Primary course: what policy would decide on such a request now, recording nothing (the console's catalog). */
export async function previewByPolicy(
  deps: PolicyDeps,
  question: AccessQuestion,
  now: Date,
): Promise<PolicyOutcome> {
  return (await askPolicies(deps, question, now)).outcome;
}

/** Asks without recording: the caller keeps the snapshot only when a decision names it. */
async function askPolicies(
  deps: PolicyDeps,
  question: AccessQuestion,
  now: Date,
): Promise<{ outcome: PolicyOutcome; snapshot: PolicySnapshot }> {
  const [people, catalog, holds, evaluator] = await Promise.all([
    readPeople(deps.directory, question),
    deps.directory.catalog(),
    holdingsOf(deps, question.beneficiary.id, question.ticketId),
    deps.policies.live(),
  ]);
  const inputs = policyInputs({ ...question, people, catalog, holds, now });
  const outcome = decideOutcome(evaluator.version, evaluator.answers(inputs), now);
  const snapshot = { hash: snapshotHash(inputs), inputs, version: evaluator.version, at: now.toISOString() };
  return { outcome, snapshot };
}

export const snapshotHash = (inputs: PolicyInputs): string =>
  createHash('sha256')
    .update(canonicalize(inputs) as string)
    .digest('hex');

async function readPeople(directory: Directory, question: AccessQuestion): Promise<Map<string, Identity>> {
  const ids = peopleToRead(question.beneficiary, question.system);
  const found = await Promise.all(ids.map((id) => directory.identity(id)));
  return new Map(found.flatMap((identity) => (identity ? [[identity.id, identity]] : [])));
}

/**
 * What the beneficiary holds or is about to: their grants, and their tickets that are approved but
 * not yet fulfilled (other than the one being decided).
 */
async function holdingsOf(deps: PolicyDeps, beneficiary: string, exceptTicketId?: string): Promise<string[]> {
  const [granted, approved] = await Promise.all([
    deps.grants.entitlementsHeldBy(beneficiary),
    deps.tickets.entitlementsApprovedFor(beneficiary),
  ]);
  const about = approved
    .filter((ticket) => ticket.ticketId !== exceptTicketId)
    .map((ticket) => ticket.entitlement);
  return [...new Set([...granted, ...about])].sort();
}

/**
 * Asks the live policies again just before access is provisioned, on what the beneficiary holds
 * now: a toxic combination that arose while the ticket waited, or a beneficiary or owner who left
 * meanwhile, stops it. Answers the refusal, or null when policy still lets it through (or the
 * ticket names something the directory or catalog no longer has, which the fulfiller will see).
 */
export async function refusalBeforeFulfilment(
  deps: PolicyDeps,
  ticket: Ticket,
  now: Date,
): Promise<(PolicyOutcome & { inputs: string }) | null> {
  if (ticket.type !== 'access' || !ticket.system || !ticket.entitlement) return null;
  const [requester, beneficiary, system] = await Promise.all([
    deps.directory.identity(ticket.requester),
    deps.directory.identity(ticket.beneficiary),
    deps.directory.system(ticket.system),
  ]);
  const entitlement = system?.entitlements.find((candidate) => candidate.id === ticket.entitlement);
  if (!requester || !beneficiary || !system || !entitlement) return null;
  const { outcome, snapshot } = await askPolicies(
    deps,
    {
      requester,
      beneficiary,
      system,
      entitlement,
      urgency: ticket.urgency,
      duration: ticket.duration,
      justification: ticket.justification ?? '',
      evidenceCount: ticket.evidence.length,
      ticketId: ticket.id,
    },
    now,
  );
  if (outcome.outcome !== 'auto_rejected') return null;
  await deps.snapshots.put(snapshot);
  return { ...outcome, inputs: snapshot.hash };
}
