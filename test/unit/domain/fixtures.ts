import type { DirectoryView, Identity } from '../../../functions/domain/directory';
import type { PolicyOutcome, StageName } from '../../../functions/domain/policy/outcome';

export function person(id: string, overrides: Partial<Identity> = {}): Identity {
  return {
    id,
    kind: 'human',
    name: id,
    department: 'Engineering',
    title: '',
    managerId: null,
    ownerId: null,
    status: 'active',
    roles: [],
    ...overrides,
  };
}

export function serviceAccount(id: string, ownerId: string): Identity {
  return person(id, { kind: 'service', ownerId });
}

/** An in-memory directory: the domain rules only need to look people up. */
export function directoryOf(...identities: Identity[]): DirectoryView & { byId: Map<string, Identity> } {
  const byId = new Map(identities.map((identity) => [identity.id, identity]));
  return {
    byId,
    identity: async (id) => byId.get(id),
    identitiesWithRole: async (role) => identities.filter((identity) => identity.roles.includes(role)),
  };
}

/** What policy answered: these stages, each asked for by a rule named after it. */
export function asking(...stages: StageName[]): PolicyOutcome & { inputs: string } {
  return {
    outcome: 'approval_required',
    stages: stages.map((stage) => ({ stage, policyIds: [`rule-${stage}`] })),
    policyIds: stages.map((stage) => `rule-${stage}`),
    version: 'v-test',
    reason: null,
    reasons: {},
    cap: null,
    inputs: 'inputs-hash',
  };
}
