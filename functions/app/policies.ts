import { z } from 'zod';
import type { Identity } from '../domain/directory';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { policySetSchema } from '../domain/policy/policy-set';
import { parseOrThrow } from '../domain/validation';
import type { Clock, PolicyEngine, PolicySnapshot, PolicyStore, PolicyVersion, SnapshotStore } from './ports';
import { assertAnyRole, OVERSIGHT } from './roles';

export interface PolicyAdminDeps {
  clock: Clock;
  policies: PolicyEngine;
  policyStore: PolicyStore;
  snapshots: SnapshotStore;
}

/** The largest policy set the API takes (PUT /policies, a simulation's candidate): the spec's 1 MiB. */
export const POLICY_SET_MAX_BYTES = 1024 * 1024;

export const replacePoliciesSchema = z
  .strictObject({ policies: policySetSchema })
  .meta({ id: 'PolicyReplacement', description: 'The whole new set: every policy by its id' });

export interface PolicySetView extends PolicyVersion {
  live: boolean;
  baseline: boolean;
}

/** Refuses (403) a caller who has none of `roles`, naming who may. */
/** Primary course: the live set, its version and who published it (the baseline has nobody). */
export async function readLivePolicies(deps: PolicyAdminDeps, caller: Identity): Promise<PolicySetView> {
  assertAnyRole(caller, OVERSIGHT, 'read the policies');
  const live = await deps.policies.live();
  return { ...(await versionOf(deps, live.version)), live: true };
}

/** Primary course: any version ever live or stored, by its hash. */
export async function readPolicyVersion(
  deps: PolicyAdminDeps,
  caller: Identity,
  version: string,
): Promise<PolicySetView> {
  assertAnyRole(caller, OVERSIGHT, 'read the policies');
  const live = await deps.policies.live();
  return { ...(await versionOf(deps, version)), live: version === live.version };
}

async function versionOf(deps: PolicyAdminDeps, version: string): Promise<Omit<PolicySetView, 'live'>> {
  const { baseline } = deps.policies;
  if (version === baseline.version) {
    return { version, policies: baseline.policies, createdAt: null, createdBy: null, baseline: true };
  }
  const stored = await deps.policyStore.get(version);
  if (!stored) throw new NotFoundError(`No policy set has version ${version}`);
  return { ...stored, baseline: false };
}

/**
 * Primary course: check the candidate set against the schema, store it under its version and make
 * it live, if the version the caller read (If-Match) is still live. Publishing the live set again
 * changes nothing. Every change is an audited event: who, when, from which version to which.
 */
export async function replacePolicies(
  deps: PolicyAdminDeps,
  caller: Identity,
  request: { body: unknown; ifMatch: string | undefined },
): Promise<PolicySetView> {
  assertAnyRole(caller, ['admin'], 'replace the policies');
  const { policies } = parseOrThrow(replacePoliciesSchema, request.body, 'request');
  const candidate = deps.policies.compile(policies);
  if (!request.ifMatch) {
    throw new ValidationError('Say which version you are replacing', {
      'headers.if-match': 'is required: the version of the live set, as GET /policies answers it (its ETag)',
    });
  }
  const expected = request.ifMatch.replace(/^W\//, '').replace(/^"|"$/g, '');
  const live = await deps.policies.live();
  if (expected !== live.version) {
    throw new ConflictError(`The live policy set is ${live.version}, not ${expected}: read it again`);
  }
  if (candidate.version === live.version) return readLivePolicies(deps, caller);
  const at = deps.clock.now().toISOString();
  await deps.policyStore.publish(
    { version: candidate.version, policies, createdAt: at, createdBy: caller.id },
    { at, by: caller.id, from: live.version, to: candidate.version },
    deps.policies.baseline.version,
  );
  deps.policies.forget();
  return { ...(await versionOf(deps, candidate.version)), live: true };
}

/** Primary course: every input a past decision saw, as it was then (oversight roles only). */
export async function readPolicySnapshot(
  deps: Pick<PolicyAdminDeps, 'snapshots'>,
  caller: Identity,
  hash: string,
): Promise<PolicySnapshot> {
  assertAnyRole(caller, OVERSIGHT, 'read the inputs of policy decisions');
  const snapshot = await deps.snapshots.get(hash);
  if (!snapshot) throw new NotFoundError(`No policy inputs have hash ${hash}`);
  return snapshot;
}
