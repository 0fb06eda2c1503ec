import { monotonicFactory } from 'ulid';
import { readDirectoryFiles } from '../functions/adapters/directory-files';
import { newTicket } from '../functions/app/submit-request';
import { deadlinesFrom, defaultDeadlines } from '../functions/domain/deadlines';
import type { DirectoryView, Entitlement, Identity, System } from '../functions/domain/directory';
import { decideDuration } from '../functions/domain/requested-duration';
import { routeAccessRequest } from '../functions/domain/routing';
import { applyChange, fulfilmentRecordFor, type Ticket } from '../functions/domain/ticket';
import { completeFulfilment, openFulfilment, recordFulfilment } from '../functions/domain/workflow';

/** Every recorded grant is for this long: fulfilled an hour before its `until`. */
const DURATION = 'PT1H';
const HOUR = 3_600_000;
/** From filing to the fulfiller's report, and from the report to the grant, as the workflow takes them. */
const FILED_BEFORE_GRANT_MS = 2 * 60_000;
const STEP_MS = 1000;

/**
 * Time-bound access tickets as the access-request workflow leaves them once fulfilled (`active`, with
 * their grant), scripted with the project's domain code instead of going through the API one by one:
 * filed by the holder for GitHub, decided `auto_approved` (recorded as by a policy named
 * `bench-auto-approve`, which the live policy set does not have), fulfilled by the system's first
 * fulfiller, granted for an hour that ends at the `until` asked for.
 */
export class GrantScript {
  private readonly nextId = monotonicFactory();
  /** Numbered in filing order, as intake's counter would; the bench files nothing through intake beside them. */
  private numbered = 0;

  private constructor(
    private readonly directory: DirectoryView,
    readonly system: System,
    private readonly entitlement: Entitlement,
  ) {}

  static create(systemId = 'github', entitlementId = 'github-write'): GrantScript {
    const seed = readDirectoryFiles();
    const people = new Map(seed.identities.map((identity) => [identity.id, identity]));
    const system = seed.systems.find((candidate) => candidate.id === systemId);
    const entitlement = system?.entitlements.find((candidate) => candidate.id === entitlementId);
    if (!system || !entitlement) throw new Error(`The seed catalog has no ${systemId} ${entitlementId}`);
    const directory: DirectoryView = {
      identity: async (id) => people.get(id),
      identitiesWithRole: async (role) => seed.identities.filter((identity) => identity.roles.includes(role)),
    };
    return new GrantScript(directory, system, entitlement);
  }

  /** The fulfillers the system's revocations go to: everyone its fulfilment names (no holder is one of them). */
  get revokers(): string[] {
    return this.system.fulfilment.mode === 'manual' ? [...this.system.fulfilment.fulfillers] : [];
  }

  /** A holder of their own for each grant, so no grant covers another's access (each revocation has work). */
  holder(index: number): Identity {
    return {
      id: `holder-${String(index).padStart(5, '0')}@bench.example.com`,
      kind: 'human',
      name: `Bench holder ${index}`,
      department: 'Engineering',
      title: 'Engineer',
      managerId: 'erin.lead@example.com',
      ownerId: null,
      status: 'active',
      roles: [],
    };
  }

  /** The active ticket whose grant ends at `until`. */
  async grantedTicket(holder: Identity, until: Date): Promise<Ticket> {
    const grantedAt = until.getTime() - HOUR;
    const filedAt = new Date(grantedAt - FILED_BEFORE_GRANT_MS);
    const { basis } = decideDuration({
      requested: DURATION,
      systemId: this.system.id,
      entitlement: this.entitlement,
      adminDefaultMax: 'P7D',
      now: filedAt,
    }) as { basis: NonNullable<Ticket['durationBasis']> };
    const { decision } = await routeAccessRequest(
      this.directory,
      { requester: holder, beneficiary: holder, system: this.system, entitlement: this.entitlement },
      {
        outcome: 'auto_approved',
        stages: [],
        policyIds: ['bench-auto-approve'],
        version: 'bench',
        reason: 'Recorded by the bench',
        reasons: {},
        cap: null,
        inputs: 'bench',
      },
    );
    const drafted = newTicket(
      { id: this.nextId(filedAt.getTime()), number: ++this.numbered },
      holder,
      filedAt,
      {
        type: 'access',
        beneficiary: holder.id,
        beneficiaryOwner: null,
        department: holder.department,
        system: this.system.id,
        entitlement: this.entitlement.id,
        justification: 'Cutting the release',
        urgency: 'normal',
        duration: DURATION,
        durationBasis: basis,
        evidence: [],
        fulfilment: fulfilmentRecordFor(this.system, null),
      },
    );
    const at = (ms: number) => new Date(ms).toISOString();
    const routed = applyChange(
      drafted,
      { type: 'routed', at: at(filedAt.getTime()), actor: 'tollgate', data: { decision, path: [] } },
      { decision, approvals: [] },
    );
    const approvedAt = filedAt.getTime() + STEP_MS;
    const approved = applyChange(routed, {
      type: 'auto_approved',
      at: at(approvedAt),
      actor: 'tollgate',
      to: 'fulfilling',
    });
    const opened = openFulfilment(
      approved,
      deadlinesFrom(defaultDeadlines.fulfilment.normal, new Date(approvedAt), 1),
      at(approvedAt),
    );
    const reported = recordFulfilment(opened, {
      by: this.revokers[0] ?? '',
      result: 'done',
      note: null,
      at: at(grantedAt - STEP_MS),
      via: 'link',
    });
    return completeFulfilment(reported, new Date(grantedAt));
  }
}

/** Runs `work` on every item with at most `concurrency` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
