import type { Entitlement, Identity, System } from '../directory';
import { addDuration, parseDuration } from '../duration';
import type { Urgency } from '../intake';

/**
 * What policies see, built from the directory and the catalog as they are when the question is
 * asked. The same object is kept as the decision's snapshot (by its hash), so a later change to
 * the directory never changes what a past decision was based on, and simulation replays it.
 */

export const NAMESPACE = 'Tollgate';
export const entityTypes = {
  person: `${NAMESPACE}::Person`,
  serviceAccount: `${NAMESPACE}::ServiceAccount`,
  system: `${NAMESPACE}::System`,
  entitlement: `${NAMESPACE}::Entitlement`,
  action: `${NAMESPACE}::Action`,
} as const;

export interface EntityRef {
  __entity: { type: string; id: string };
}
type Value = string | number | boolean | EntityRef | Value[] | { [key: string]: Value };
export interface EntityJson {
  uid: { type: string; id: string };
  attrs: Record<string, Value>;
  parents: { type: string; id: string }[];
}

export interface PolicyInputs {
  principal: { type: string; id: string };
  resource: { type: string; id: string };
  context: Record<string, Value>;
  entities: EntityJson[];
}

/** The facts one access request is decided on. */
export interface RequestFacts {
  requester: Identity;
  beneficiary: Identity;
  /** The people the policies may read about: managers and owners of the beneficiary and the system. */
  people: ReadonlyMap<string, Identity>;
  system: System;
  entitlement: Entitlement;
  /** Every system of the catalog, so conflicts declared on either side of a pair are seen. */
  catalog: readonly System[];
  urgency: Urgency;
  /** The ISO 8601 duration asked for, or null for standing access. */
  duration: string | null;
  justification: string;
  evidenceCount: number;
  /** Entitlement ids the beneficiary holds or is about to (approved, not yet fulfilled). */
  holds: readonly string[];
  now: Date;
}

const ref = (type: string, id: string): EntityRef => ({ __entity: { type, id } });
const personRef = (id: string) => ref(entityTypes.person, id);
const entitlementRef = (id: string) => ref(entityTypes.entitlement, id);

/** The ids of the people a decision may read about, besides the requester and the beneficiary. */
export function peopleToRead(beneficiary: Identity, system: System): string[] {
  const ids = [beneficiary.managerId, beneficiary.ownerId, system.ownerId];
  return [...new Set(ids.filter((id): id is string => id !== null))];
}

/** An entitlement's conflicts, from its own list and from every entitlement that lists it. */
export function conflictsOf(entitlementId: string, catalog: readonly System[]): string[] {
  const conflicts = new Set<string>();
  for (const system of catalog) {
    for (const entitlement of system.entitlements) {
      if (entitlement.id === entitlementId) {
        for (const id of entitlement.conflictsWith) conflicts.add(id);
      } else if (entitlement.conflictsWith.includes(entitlementId)) conflicts.add(entitlement.id);
    }
  }
  return [...conflicts].sort();
}

/** Seconds from `now` to the end of `duration`: calendar months count as they fall. */
export function durationSeconds(duration: string, now: Date): number | null {
  const parsed = parseDuration(duration);
  return parsed ? Math.round((addDuration(now, parsed).getTime() - now.getTime()) / 1000) : null;
}

export function policyInputs(facts: RequestFacts): PolicyInputs {
  const { beneficiary, system, entitlement, now } = facts;
  const entities = new Map<string, EntityJson>();
  const addIdentity = (identity: Identity) => {
    const type = identity.kind === 'service' ? entityTypes.serviceAccount : entityTypes.person;
    const attrs: Record<string, Value> = {
      department: identity.department,
      title: identity.title,
      status: identity.status,
      roles: [...identity.roles],
    };
    if (identity.kind === 'service') attrs.owner = personRef(identity.ownerId ?? '');
    else if (identity.managerId) attrs.manager = personRef(identity.managerId);
    entities.set(`${type}/${identity.id}`, { uid: { type, id: identity.id }, attrs, parents: [] });
  };
  for (const identity of [facts.requester, beneficiary, ...facts.people.values()]) addIdentity(identity);

  const systemUid = { type: entityTypes.system, id: system.id };
  entities.set(`${systemUid.type}/${system.id}`, {
    uid: systemUid,
    attrs: {
      owner: personRef(system.ownerId),
      sensitivity: system.sensitivity,
      fulfilment: system.fulfilment.mode,
    },
    parents: [],
  });
  const maxDurationSeconds = entitlement.maxDuration ? durationSeconds(entitlement.maxDuration, now) : null;
  const resource = { type: entityTypes.entitlement, id: entitlement.id };
  entities.set(`${resource.type}/${entitlement.id}`, {
    uid: resource,
    attrs: {
      system: ref(systemUid.type, systemUid.id),
      class: entitlement.class,
      ...(maxDurationSeconds === null ? {} : { maxDurationSeconds }),
      conflictsWith: conflictsOf(entitlement.id, facts.catalog).map(entitlementRef),
    },
    parents: [systemUid],
  });

  const requestedDurationSeconds = facts.duration ? durationSeconds(facts.duration, now) : null;
  return {
    principal: {
      type: beneficiary.kind === 'service' ? entityTypes.serviceAccount : entityTypes.person,
      id: beneficiary.id,
    },
    resource,
    context: {
      requester: personRef(facts.requester.id),
      urgency: facts.urgency,
      ...(requestedDurationSeconds === null ? {} : { requestedDurationSeconds }),
      justificationLength: facts.justification.length,
      evidenceCount: facts.evidenceCount,
      beneficiaryIsServiceAccount: beneficiary.kind === 'service',
      holds: [...new Set(facts.holds)].sort().map(entitlementRef),
    },
    // Sorted, so equal inputs are equal snapshots with one hash.
    entities: [...entities.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, entity]) => entity),
  };
}
