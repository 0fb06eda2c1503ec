import {
  accountablePersonId,
  type DirectoryView,
  type Entitlement,
  type Identity,
  isActive,
  type System,
} from './directory';
import type { PolicyOutcome, StageName } from './policy/outcome';
import type { Approval, Decision } from './ticket';

/** Why nobody can act on a ticket: the reason an `auto_rejected` closure carries. */
export const nobodyEligibleReasons = ['no_eligible_approver', 'no_eligible_fulfiller'] as const;
export type NobodyEligible = (typeof nobodyEligibleReasons)[number];

export interface StageAssignment {
  stage: string;
  candidates: string[];
  /** Why these people: the named approver, and who was passed over on the way. */
  path: string[];
  /** Delegates asked alongside, each with the approvers they stand in for (see delegations.ts). */
  delegates?: Record<string, string[]>;
}

/** The people a ticket is about: none of them approves it. */
export interface TicketParties {
  requester: string;
  beneficiary: string;
  beneficiaryOwner: string | null;
}

/**
 * Resolves a stage to named people. `manager` starts at the accountable person's manager,
 * `system_owner` at the system's owner, `security` at the security group. Anyone excluded (a party
 * to the ticket, someone deciding another stage, a sole fulfiller) or not active is passed over to
 * their manager, and so on up the chain; when the chain runs out, every active member of `security`
 * who is not excluded is asked, and the first decision wins. Null when nobody is left.
 */
export async function resolveStage(
  directory: DirectoryView,
  stage: StageName,
  ticket: TicketParties & { system: Pick<System, 'ownerId'> },
  excluded: readonly string[],
): Promise<StageAssignment | null> {
  const start = stage === 'security' ? null : await chainStart(directory, stage, ticket);
  return resolveFrom(directory, stage, start, passedOverFor(ticket, excluded));
}

/**
 * Who takes an open stage over from someone who can no longer decide it (departed, suspended): the
 * others already asked keep it; when nobody is left, routing's own rule for an unavailable
 * approver applies from that person on (their manager, up the chain, then the security group),
 * passing over the ticket's parties, whoever decided another stage and `excluded`. Null when
 * nobody is left at all.
 */
export async function replaceApprover(
  directory: DirectoryView,
  ticket: TicketParties & { approvals: readonly Approval[] },
  index: number,
  leaving: string,
  excluded: readonly string[],
): Promise<StageAssignment | null> {
  const stage = ticket.approvals[index];
  if (!stage) return null;
  const remaining = stage.candidates.filter((id) => id !== leaving);
  if (remaining.length > 0) return { stage: stage.stage, candidates: remaining, path: stage.path };
  const passedOver = passedOverFor(ticket, [...excluded, ...decidersOf(ticket.approvals), leaving]);
  const start = stage.stage === 'security' ? null : leaving;
  const resolved = await resolveFrom(directory, stage.stage, start, passedOver);
  return resolved && { ...resolved, path: [...new Set([...stage.path, ...resolved.path])] };
}

/** Whoever decided a stage: one person decides at most one stage of a ticket. */
export const decidersOf = (approvals: readonly Approval[]): string[] =>
  approvals.flatMap((approval) => (approval.decidedBy ? [approval.decidedBy] : []));

/** The people a ticket is about, and anyone else excluded: none of them is asked. */
const passedOverFor = (ticket: TicketParties, excluded: readonly string[]): Set<string> =>
  new Set([
    ticket.requester,
    ticket.beneficiary,
    ...(ticket.beneficiaryOwner ? [ticket.beneficiaryOwner] : []),
    ...excluded,
  ]);

/**
 * Walks up the management chain from `start` to the first active person not passed over; when the
 * chain runs out (or there is none, as for `security`), every eligible active member of security.
 */
async function resolveFrom(
  directory: DirectoryView,
  stage: string,
  start: string | null,
  passedOver: ReadonlySet<string>,
): Promise<StageAssignment | null> {
  const path: string[] = [];
  const seen = new Set<string>();
  let candidateId = start;
  while (candidateId && !seen.has(candidateId)) {
    seen.add(candidateId);
    const candidate = await directory.identity(candidateId);
    if (isActive(candidate) && !passedOver.has(candidate.id)) {
      return { stage, candidates: [candidate.id], path: [...path, candidate.id] };
    }
    path.push(candidateId);
    candidateId = candidate?.managerId ?? null;
  }
  const security = await securityGroup(directory, passedOver);
  if (security.length === 0) return null;
  return { stage, candidates: security, path: [...path, 'role:security'] };
}

/**
 * Who an approval stage escalates to: each approver's manager, up the chain past anyone who is
 * not active, is a party to the ticket, decided another stage or is asked already; where no chain
 * yields anyone, the security group's eligible members. Empty when nobody is left to ask.
 */
export async function escalateStage(
  directory: DirectoryView,
  ticket: TicketParties & { approvals: readonly Approval[] },
  index: number,
): Promise<string[]> {
  const stage = ticket.approvals[index];
  if (!stage) return [];
  const passedOver = passedOverFor(ticket, [...decidersOf(ticket.approvals), ...stage.candidates]);
  const managers = new Set<string>();
  for (const approver of stage.candidates) {
    const seen = new Set<string>([approver]);
    let candidateId = (await directory.identity(approver))?.managerId ?? null;
    while (candidateId && !seen.has(candidateId)) {
      seen.add(candidateId);
      const candidate = await directory.identity(candidateId);
      if (isActive(candidate) && !passedOver.has(candidate.id)) {
        managers.add(candidate.id);
        break;
      }
      candidateId = candidate?.managerId ?? null;
    }
  }
  if (managers.size > 0) return [...managers].sort();
  return securityGroup(directory, passedOver);
}

/** The security group's active members, but those `excluded`: who is asked when nobody else is. */
export async function securityGroup(
  directory: DirectoryView,
  excluded: ReadonlySet<string | null>,
): Promise<string[]> {
  return (await directory.identitiesWithRole('security'))
    .filter((member) => isActive(member) && !excluded.has(member.id))
    .map((member) => member.id)
    .sort();
}

async function chainStart(
  directory: DirectoryView,
  stage: Exclude<StageName, 'security'>,
  ticket: TicketParties & { system: Pick<System, 'ownerId'> },
): Promise<string | null> {
  if (stage === 'system_owner') return ticket.system.ownerId;
  const accountable = await directory.identity(ticket.beneficiaryOwner ?? ticket.beneficiary);
  return accountable?.managerId ?? null;
}

/**
 * The fulfillers who could act on a ticket: the system's fulfillers who are active and are neither
 * the beneficiary nor its owner. Null when an integration fulfils instead of people.
 */
export async function availableFulfillers(
  directory: DirectoryView,
  system: System,
  parties: TicketParties,
): Promise<string[] | null> {
  if (system.fulfilment.mode !== 'manual') return null;
  return availableAmong(directory, system.fulfilment.fulfillers, parties);
}

/** Those of `ids` who are active and are neither the beneficiary nor its owner. */
async function availableAmong(
  directory: DirectoryView,
  ids: readonly string[],
  parties: TicketParties,
): Promise<string[]> {
  const people = await Promise.all(ids.map((id) => directory.identity(id)));
  return people
    .filter(isActive)
    .map((person) => person.id)
    .filter((id) => id !== parties.beneficiary && id !== parties.beneficiaryOwner);
}

/**
 * Who removes access at a grant's end: the system's fulfillers now (for a system provisioned by
 * webhook, its fallback fulfillers, once the integration has not), else its owner, else security;
 * never the holder (nor a service account's owner).
 */
export async function revokersOf(
  directory: DirectoryView,
  system: System | undefined,
  parties: TicketParties,
): Promise<string[]> {
  const fulfillers = !system
    ? []
    : system.fulfilment.mode === 'webhook'
      ? await availableAmong(directory, system.fulfilment.fallbackFulfillers, parties)
      : ((await availableFulfillers(directory, system, parties)) ?? []);
  if (fulfillers.length > 0) return fulfillers;
  const excluded = new Set([parties.beneficiary, parties.beneficiaryOwner]);
  const owner = system ? await directory.identity(system.ownerId) : undefined;
  if (isActive(owner) && !excluded.has(owner.id)) return [owner.id];
  return securityGroup(directory, excluded);
}

export interface Route {
  decision: Decision;
  approvals: Approval[];
}

/**
 * Routes an access request at intake, on the stages policy asked for. The first stage gets its
 * people now; later stages are resolved when they open (who decided before is known then), but
 * each is tried here already, so a request nobody could carry through is refused at once with the
 * reason instead of waiting. A system's sole fulfiller is never the sole approver of a one-stage
 * ticket, and a request that policy approves or refuses asks nobody.
 */
export async function routeAccessRequest(
  directory: DirectoryView,
  request: { requester: Identity; beneficiary: Identity; system: System; entitlement: Entitlement },
  policy: PolicyOutcome & { inputs: string },
): Promise<Route> {
  const ticket: TicketParties & { system: System } = {
    requester: request.requester.id,
    beneficiary: request.beneficiary.id,
    beneficiaryOwner:
      request.beneficiary.kind === 'service' ? accountablePersonId(request.beneficiary) : null,
    system: request.system,
  };
  const decision: Decision = {
    outcome: policy.outcome,
    stages: policy.stages.map((stage) => stage.stage),
    policyIds: policy.policyIds,
    version: policy.version,
    reason: policy.reason,
    askedBy: Object.fromEntries(policy.stages.map((stage) => [stage.stage, stage.policyIds])),
    policyReasons: policy.reasons,
    cap: policy.cap,
    inputs: policy.inputs,
  };
  if (policy.outcome === 'auto_rejected') return { decision, approvals: [] };
  const fulfillers = await availableFulfillers(directory, request.system, ticket);
  if (fulfillers?.length === 0) return rejected(decision, 'no_eligible_fulfiller');
  if (policy.outcome === 'auto_approved') return { decision, approvals: [] };
  const stages = policy.stages.map((stage) => stage.stage);
  const soleFulfiller = soleFulfillerOf(fulfillers, stages.length);

  const assignments: StageAssignment[] = [];
  for (const stage of stages) {
    // A later stage cannot go to whoever alone decides an earlier one.
    const deciding = assignments.flatMap((earlier) =>
      earlier.candidates.length === 1 ? earlier.candidates : [],
    );
    const assignment = await resolveStage(directory, stage, ticket, [...soleFulfiller, ...deciding]);
    if (!assignment) return rejected(decision, 'no_eligible_approver');
    assignments.push(assignment);
  }
  return {
    decision,
    approvals: assignments.map((assignment, index) =>
      index === 0
        ? pendingApproval(assignment)
        : pendingApproval({ stage: assignment.stage, candidates: [], path: [] }),
    ),
  };
}

/** A system's sole fulfiller never alone approves a one-stage ticket: the one to pass over, if any. */
export const soleFulfillerOf = (fulfillers: string[] | null, stageCount: number): string[] =>
  stageCount === 1 && fulfillers?.length === 1 ? fulfillers : [];

/** Separation of duties left nobody: refused with that reason, whatever policy said. */
function rejected(decision: Decision, reason: NobodyEligible): Route {
  return { decision: { ...decision, outcome: 'auto_rejected', reason }, approvals: [] };
}

export function pendingApproval(assignment: StageAssignment): Approval {
  return {
    stage: assignment.stage,
    candidates: assignment.candidates,
    decidedBy: null,
    decision: null,
    at: null,
    comment: null,
    via: null,
    deadline: null,
    reminderAt: null,
    escalationAt: null,
    phase: 'asked',
    escalatedTo: [],
    path: assignment.path,
  };
}
