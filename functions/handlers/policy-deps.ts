import { fileURLToPath } from 'node:url';
import { LivePolicies } from '../adapters/cedar/live-policies';
import { compilePolicyFolder } from '../adapters/cedar/policy-files';
import { DynamoPolicyStore } from '../adapters/dynamodb/policy-store';
import { type Deps, getDeps } from './deps';

/**
 * What the handlers that decide by policy need besides the common deps. Kept apart from deps.ts so
 * that only these functions carry Cedar (its wasm is 4.3 MB): intake and extensions (the route, and
 * the link page, where an expiry notice's link files one), the workflow step that opens
 * fulfilment, and the policy routes.
 *
 * The baseline is the project's `policies/` folder, read and checked once per process (a bad set
 * stops the function from starting, naming the policy, line and problem): in Lambda the bundle
 * carries it next to the handler, locally it is read from the project, or from the folder
 * TOLLGATE_POLICIES_DIR names (`npm start` only).
 */
const policyFolder = process.env.LAMBDA_TASK_ROOT
  ? `${process.env.LAMBDA_TASK_ROOT}/policies`
  : (process.env.TOLLGATE_POLICIES_DIR ?? fileURLToPath(new URL('../../policies', import.meta.url)));

function buildPolicyDeps(deps: Deps) {
  const { folder, compiled } = compilePolicyFolder(policyFolder);
  const store = new DynamoPolicyStore(deps.db, deps.config.tableName);
  return {
    policyStore: store,
    policies: new LivePolicies(store, { ...folder, compiled }, deps.clock),
  };
}

export type PolicyDeps = Deps & ReturnType<typeof buildPolicyDeps>;

let policyDeps: PolicyDeps | undefined;

export function getPolicyDeps(): PolicyDeps {
  policyDeps ??= { ...getDeps(), ...buildPolicyDeps(getDeps()) };
  return policyDeps;
}
