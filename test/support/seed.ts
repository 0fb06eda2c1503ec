import { readFileSync } from 'node:fs';

/** The demo directory and catalog as the repo ships them (`seed/*.json`), read as plain data. */

export interface SeedIdentity {
  id: string;
  kind: 'human' | 'service';
  name: string;
  department: string;
  managerId: string | null;
  ownerId?: string | null;
  status: 'active' | 'suspended' | 'departed';
  roles: string[];
}

export interface SeedEntitlement {
  id: string;
  name: string;
  class: 'read' | 'write' | 'admin';
  maxDuration?: string;
}

export interface SeedSystem {
  id: string;
  name: string;
  ownerId: string;
  sensitivity: string;
  fulfilment:
    | { mode: 'manual'; fulfillers: string[] }
    | { mode: 'webhook'; integration: string; url: string };
  entitlements: SeedEntitlement[];
}

const read = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../seed/${name}`, import.meta.url), 'utf8'));

export const seedIdentities: SeedIdentity[] = read('directory.json').identities;
export const seedSystems: SeedSystem[] = read('catalog.json').systems;

/** Named demo identities, so tests read as who does what. */
export const people = {
  dana: 'dana.chief@example.com',
  erin: 'erin.lead@example.com',
  alex: 'alex.dev@example.com',
  bo: 'bo.dev@example.com',
  fiona: 'fiona.finance@example.com',
  felix: 'felix.analyst@example.com',
  paula: 'paula.people@example.com',
  sam: 'sam.security@example.com',
  sara: 'sara.secops@example.com',
  aude: 'aude.audit@example.com',
  ivan: 'ivan.it@example.com',
  ian: 'ian.helpdesk@example.com',
  sue: 'sue.suspended@example.com',
  dan: 'dan.departed@example.com',
} as const;

export const services = {
  billingExport: 'svc:billing-export',
  ciDeployer: 'svc:ci-deployer',
} as const;

export function seedIdentity(id: string): SeedIdentity {
  const identity = seedIdentities.find((candidate) => candidate.id === id);
  if (!identity) throw new Error(`${id} is not in seed/directory.json`);
  return identity;
}

/**
 * Who `callerId` may file for: themselves, a service account they own (or whose departed or
 * suspended owner reports to them), a direct report.
 */
export function mayFileFor(callerId: string, beneficiary: SeedIdentity): boolean {
  if (beneficiary.id === callerId) return true;
  if (beneficiary.kind !== 'service') return beneficiary.managerId === callerId;
  const owner = seedIdentities.find((candidate) => candidate.id === beneficiary.ownerId);
  return beneficiary.ownerId === callerId || (owner?.status !== 'active' && owner?.managerId === callerId);
}

/** The flow most workflow tests walk: Alex asks for github-write, his manager Erin approves, Ian fulfils. */
export const githubFlow = {
  requester: people.alex,
  manager: people.erin,
  fulfiller: people.ian,
  request: {
    type: 'access',
    system: 'github',
    entitlement: 'github-write',
    justification: 'Push the release branch for 4.2',
  },
} as const;

/** The timeline of a ticket of that flow that closes as fulfilled, event by event. */
export const fulfilledTimeline = [
  'submitted',
  'routed',
  'stage_opened',
  'approved',
  'approved_all',
  'fulfilment_requested',
  'fulfilment_reported',
  'closed',
];
