import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type Identity, identityIdSchema } from './directory';
import { approverExclusion, type StageRules } from './separation-of-duties';

/**
 * Delegations: a person names someone to be asked alongside them for a while (a holiday, a leave).
 * A delegation takes effect when a stage opens inside its window: the delegate is then one more
 * candidate of that stage, recorded as whose delegate they are, and decides like any candidate.
 */

/** The longest window one delegation may cover: a longer absence is a change of approver, not a delegation. */
export const MAX_DELEGATION_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-01-31T09:00:00Z' })
  // One form for every instant stored: UTC with milliseconds, so they compare as strings.
  .transform((value) => new Date(value).toISOString());

export const delegationBodySchema = z
  .strictObject({
    delegate: identityIdSchema.meta({ description: 'Who is asked alongside the caller: an active person' }),
    from: instant.meta({ description: 'When the delegation starts (it may have started already)' }),
    until: instant.meta({
      description: `When it ends: after \`from\`, in the future, and at most ${MAX_DELEGATION_DAYS} days after \`from\``,
    }),
  })
  .meta({ id: 'DelegationRequest' });
export type DelegationRequest = z.output<typeof delegationBodySchema>;

export interface Delegation {
  id: string;
  /** Whose approvals the delegate is asked for. */
  owner: string;
  delegate: string;
  from: string;
  until: string;
  createdAt: string;
  createdBy: string;
  /** Kept once deleted, so the record of who could approve for whom, and when, stays whole. */
  deletedAt: string | null;
  deletedBy: string | null;
}

export const delegationStatuses = ['upcoming', 'active', 'ended', 'deleted'] as const;
export type DelegationStatus = (typeof delegationStatuses)[number];

/** Whether the delegation asks its delegate at `at`: not deleted, started, and not yet ended. */
export function isInForce(delegation: Delegation, at: Date): boolean {
  return delegationStatus(delegation, at) === 'active';
}

export function delegationStatus(delegation: Delegation, at: Date): DelegationStatus {
  if (delegation.deletedAt) return 'deleted';
  if (at.getTime() < Date.parse(delegation.from)) return 'upcoming';
  return at.getTime() < Date.parse(delegation.until) ? 'active' : 'ended';
}

/**
 * The same person, delegate and window name the same delegation, so a request sent twice stores
 * one: its id is derived from them (128 bits of SHA-256, hex).
 */
export function delegationId(owner: string, request: DelegationRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([owner, request.delegate, request.from, request.until]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * What is wrong with a delegation `owner` asks for at `now`, by field: the delegate must be an
 * active person other than the owner, and the window must end in the future, after it starts and
 * within MAX_DELEGATION_DAYS of its start. `delegate` is the delegate's directory entry.
 */
export function delegationProblems(
  owner: string,
  request: DelegationRequest,
  delegate: Identity | undefined,
  now: Date,
): Record<string, string> {
  const problems: Record<string, string> = {};
  if (request.delegate === owner) problems.delegate = 'is you: name someone to be asked alongside you';
  else if (!delegate) problems.delegate = 'is not in the directory';
  else if (delegate.kind !== 'human') problems.delegate = 'is a service account, not a person';
  else if (delegate.status !== 'active') problems.delegate = `is ${delegate.status}`;
  const from = Date.parse(request.from);
  const until = Date.parse(request.until);
  if (until <= from) problems.until = 'must be after from';
  else if (until <= now.getTime()) problems.until = 'must be in the future';
  else if (until - from > MAX_DELEGATION_DAYS * DAY_MS) {
    problems.until = `must be at most ${MAX_DELEGATION_DAYS} days after from`;
  }
  return problems;
}

/** A stage's people: its candidates, and each delegate among them with the approvers they stand in for. */
export interface StagePeople {
  candidates: string[];
  delegates: Record<string, string[]>;
}

/**
 * The candidates of a stage that opens at `at`, with the delegate of each candidate whose
 * delegation is in force then asked alongside them. A delegate whom separation of duties excludes
 * for this stage (a party to the ticket, the decider of another stage, a one-stage ticket's sole
 * fulfiller, someone not active: `stage.people` holds the delegates' directory entries) is not
 * added, and neither is one who is a candidate already. Delegation does not chain: a delegate's
 * own delegate is not asked.
 */
export function withDelegates(
  candidates: readonly string[],
  delegations: readonly Delegation[],
  at: Date,
  stage: StageRules & { people: ReadonlyMap<string, Identity> },
): StagePeople {
  const delegates: Record<string, string[]> = {};
  for (const candidate of candidates) {
    const inForce = delegations
      .filter((delegation) => delegation.owner === candidate && isInForce(delegation, at))
      .map((delegation) => delegation.delegate)
      .sort();
    for (const delegate of new Set(inForce)) {
      if (candidates.includes(delegate)) continue;
      if (approverExclusion(delegate, stage.people.get(delegate), stage) !== null) continue;
      delegates[delegate] = [...(delegates[delegate] ?? []), candidate];
    }
  }
  return { candidates: [...candidates, ...Object.keys(delegates)], delegates };
}
