import { describe, expect, it } from 'vitest';
import { LivePolicies, POLICY_REFRESH_MS } from '../../../functions/adapters/cedar/live-policies';
import { compilePolicyFolder } from '../../../functions/adapters/cedar/policy-files';
import type { PolicyStore, PolicyVersion } from '../../../functions/app/ports';
import { policySetVersion } from '../../../functions/domain/policy/policy-set';
import { policiesFolder } from '../../support/policies';

/** A store another process publishes to, counting how often this one reads the pointer. */
function sharedStore() {
  const versions = new Map<string, PolicyVersion>();
  let live: string | undefined;
  let pointerReads = 0;
  const store: PolicyStore = {
    liveVersion: async () => {
      pointerReads++;
      return live;
    },
    get: async (version) => versions.get(version),
    store: async (version) => {
      versions.set(version.version, version);
    },
    publish: async (version) => {
      versions.set(version.version, version);
      live = version.version;
    },
  };
  return { store, pointerReads: () => pointerReads };
}

describe('the live policy set of one process', () => {
  const baseline = compilePolicyFolder(policiesFolder);
  const published = {
    ...baseline.folder.policies,
    extra: '@id("extra")\npermit (principal, action == Tollgate::Action::"requireSecurity", resource);',
  };
  const version: PolicyVersion = {
    version: policySetVersion(published),
    policies: published,
    createdAt: '2026-06-01T09:00:00Z',
    createdBy: 'admin@x.com',
  };

  it('picks up a version another process published within the refresh interval, reading the pointer once per interval', async () => {
    // Prepare
    let now = Date.parse('2026-06-01T09:00:00Z');
    const { store, pointerReads } = sharedStore();
    const live = new LivePolicies(
      store,
      { ...baseline.folder, compiled: baseline.compiled },
      { now: () => new Date(now) },
    );
    expect((await live.live()).version).toBe(baseline.compiled.version);

    // Act: published elsewhere; this process asks many times within the interval, then once after it
    await store.publish(
      version,
      { at: '', by: '', from: '', to: version.version },
      baseline.compiled.version,
    );
    now += POLICY_REFRESH_MS - 1;
    const within = await Promise.all([live.live(), live.live(), live.live()]);
    now += 1;
    const after = await live.live();

    // Assess
    expect(within.map((set) => set.version)).toEqual([
      baseline.compiled.version,
      baseline.compiled.version,
      baseline.compiled.version,
    ]);
    expect(after.version).toBe(version.version);
    expect(Object.keys(after.policies)).toContain('extra');
    expect(pointerReads()).toBe(2);
  });

  it('reads the pointer again at once after this process published', async () => {
    // Prepare
    const now = Date.parse('2026-06-01T09:00:00Z');
    const { store } = sharedStore();
    const live = new LivePolicies(
      store,
      { ...baseline.folder, compiled: baseline.compiled },
      { now: () => new Date(now) },
    );
    await live.live();

    // Act
    await store.publish(
      version,
      { at: '', by: '', from: '', to: version.version },
      baseline.compiled.version,
    );
    live.forget();

    // Assess
    expect((await live.live()).version).toBe(version.version);
  });
});
