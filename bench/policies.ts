import { performance } from 'node:perf_hooks';
import { CompiledPolicySet } from '../functions/adapters/cedar/engine';
import { compilePolicyFolder } from '../functions/adapters/cedar/policy-files';
import type { Identity, System } from '../functions/domain/directory';
import { type PolicyInputs, policyInputs } from '../functions/domain/policy/inputs';
import { decideOutcome } from '../functions/domain/policy/outcome';
import type { Policies } from '../functions/domain/policy/policy-set';
import { percentile, round } from './measure';
import type { Progress } from './progress';
import type { RunStamp } from './report';

/** Issue 11's targets, in ms: per Cedar call and per whole decision (every action asked once). */
export const POLICY_TARGETS = {
  100: { callP99: 1, decisionP99: 5 },
  1000: { decisionP99: 50 },
} as const;
const SIZES = [100, 1000] as const;
const COUNTS = { warmup: 1000, decisions: 2000 };

export interface PolicySetFigures {
  policies: number;
  compileMs: number;
  call: { p50: number; p99: number };
  decision: { p50: number; p99: number };
  pass: boolean;
}

export interface PolicyResults extends RunStamp {
  sets: PolicySetFigures[];
}

/**
 * Cedar as the deciding functions use it: the set checked and parsed once, then every action of a
 * decision asked of it, on inputs built as intake builds them. The sets are the demo policies plus
 * generated ones of the same shapes (conditions on departments, sensitivity, class and context), so
 * that most policies are in scope of the request and Cedar evaluates them rather than skip them.
 */
export function measurePolicies(policiesFolder: string, stamp: RunStamp, progress: Progress): PolicyResults {
  const { folder } = compilePolicyFolder(policiesFolder);
  const sets = SIZES.map((size) => {
    const policies = withGenerated(folder.policies, size);
    const compileStart = performance.now();
    const compiled = CompiledPolicySet.compile(folder.schema, policies);
    const compileMs = performance.now() - compileStart;
    if (!compiled.answersInOneCall)
      throw new Error(`The bench's set of ${size} policies needs a Cedar call per action`);
    const inputs = sampleInputs();
    const calls: number[] = [];
    const decisions: number[] = [];
    const total = COUNTS.warmup + COUNTS.decisions;
    for (let n = 0; n < total; n++) {
      const input = inputs[n % inputs.length] as PolicyInputs;
      const decisionStart = performance.now();
      const answers = compiled.answers(input);
      const callEnd = performance.now();
      decideOutcome(compiled.version, answers, new Date());
      if (n >= COUNTS.warmup) {
        calls.push(callEnd - decisionStart);
        decisions.push(performance.now() - decisionStart);
      }
      if (n % 50 === 0) progress.update(`policies, ${size} policies`, n, total, 'decisions');
    }
    progress.finish(`policies: ${size} policies, ${COUNTS.decisions} decisions`);
    const call = summary(calls);
    const decision = summary(decisions);
    const target = POLICY_TARGETS[size];
    const pass = decision.p99 < target.decisionP99 && (!('callP99' in target) || call.p99 < target.callP99);
    return { policies: size, compileMs: round(compileMs), call, decision, pass };
  });
  return { ...stamp, sets };
}

function summary(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

const ACTIONS = ['autoReject', 'autoApprove', 'requireManager', 'requireSystemOwner', 'requireSecurity'];
const SENSITIVITIES = ['low', 'moderate', 'high', 'critical'];
const CLASSES = ['read', 'write', 'admin'];

/** The demo set, filled up to `size` with generated rules that read the same attributes the demo rules read. */
export function withGenerated(demo: Policies, size: number): Policies {
  const policies: Policies = { ...demo };
  for (let n = 0; Object.keys(policies).length < size; n++) {
    const action = ACTIONS[n % ACTIONS.length];
    const sensitivity = SENSITIVITIES[n % SENSITIVITIES.length];
    const entitlementClass = CLASSES[n % CLASSES.length];
    policies[`generated-${n}`] =
      `@id("generated-${n}")\n@reason("generated rule ${n}")\n` +
      `permit (principal, action == Tollgate::Action::"${action}", resource)\n` +
      `when { resource.system.sensitivity == "${sensitivity}" && resource.class == "${entitlementClass}" && ` +
      `principal.department == "department-${n % 40}" && context.justificationLength > ${n % 50} && ` +
      `!context.holds.contains(Tollgate::Entitlement::"generated-${n}") };`;
  }
  return policies;
}

/** A few requests that reach different rules: departments, sensitivities, classes and holdings vary. */
export function sampleInputs(): PolicyInputs[] {
  const person = (id: string, department: string): Identity => ({
    id,
    kind: 'human',
    name: id,
    department,
    title: 'Engineer',
    managerId: 'manager@example.com',
    ownerId: null,
    status: 'active',
    roles: [],
  });
  const manager = person('manager@example.com', 'department-0');
  const owner = person('owner@example.com', 'department-1');
  return SENSITIVITIES.flatMap((sensitivity, s) =>
    CLASSES.map((entitlementClass, c) => {
      const entitlement = {
        id: `e-${sensitivity}-${entitlementClass}`,
        name: 'e',
        class: entitlementClass as 'read',
        maxDuration: null,
        conflictsWith: ['generated-3'],
      };
      const system: System = {
        id: `s-${sensitivity}`,
        name: 's',
        ownerId: owner.id,
        sensitivity: sensitivity as 'low',
        fulfilment: { mode: 'manual', fulfillers: ['fulfiller@example.com'] },
        entitlements: [entitlement],
      };
      const beneficiary = person(`p${s}${c}@example.com`, `department-${(s * 3 + c) % 40}`);
      return policyInputs({
        requester: beneficiary,
        beneficiary,
        people: new Map([manager, owner].map((identity) => [identity.id, identity])),
        system,
        entitlement,
        catalog: [system],
        urgency: 'normal',
        duration: 'P7D',
        justification: 'Quarterly access review follow-up for the team',
        evidenceCount: 1,
        holds: [`held-${s}`, `held-${c}`],
        now: new Date('2026-06-01T09:00:00Z'),
      });
    }),
  );
}
