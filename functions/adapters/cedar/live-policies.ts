import type { Clock, PolicyEngine, PolicyStore } from '../../app/ports';
import type { Policies } from '../../domain/policy/policy-set';
import { CompiledPolicySet } from './engine';
import type { PolicyFolder } from './policy-files';

/** How long a process answers with the version it last read before it looks for a newer one. */
export const POLICY_REFRESH_MS = 5_000;

/**
 * The live policy set for one process: the version the store names, or the baseline from
 * `policies/` until one is published. The pointer is read at most every POLICY_REFRESH_MS, and a
 * version is compiled once when it first goes live here, never per request.
 */
export class LivePolicies implements PolicyEngine {
  private current: CompiledPolicySet;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<CompiledPolicySet> | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly baselineSet: PolicyFolder & { compiled: CompiledPolicySet },
    private readonly clock: Clock,
    private readonly refreshMs = POLICY_REFRESH_MS,
  ) {
    this.current = baselineSet.compiled;
  }

  get baseline(): CompiledPolicySet {
    return this.baselineSet.compiled;
  }

  /** Every version is checked against the baseline's schema: the one the code that builds the inputs was written for. */
  compile(policies: Policies): CompiledPolicySet {
    return CompiledPolicySet.compile(this.baselineSet.schema, policies);
  }

  forget(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  live(): Promise<CompiledPolicySet> {
    if (this.clock.now().getTime() - this.checkedAt < this.refreshMs) return Promise.resolve(this.current);
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<CompiledPolicySet> {
    const version = (await this.store.liveVersion()) ?? this.baseline.version;
    if (version !== this.current.version) this.current = await this.compileVersion(version);
    this.checkedAt = this.clock.now().getTime();
    return this.current;
  }

  private async compileVersion(version: string): Promise<CompiledPolicySet> {
    if (version === this.baseline.version) return this.baseline;
    const stored = await this.store.get(version);
    if (!stored) throw new Error(`The live policy set names version ${version}, which is not stored`);
    return this.compile(stored.policies);
  }
}
