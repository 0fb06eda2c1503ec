import { setFlagsFromString } from 'node:v8';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { parseDuration } from '../../domain/duration';
import { ValidationError } from '../../domain/errors';
import { entityTypes, type PolicyInputs } from '../../domain/policy/inputs';
import {
  type ActionAnswer,
  type AskPolicies,
  actionUid,
  type DeterminingPolicy,
  outcomeActions,
  type PolicyAction,
  stageActions,
} from '../../domain/policy/outcome';
import {
  describeProblem,
  type Policies,
  type PolicyOrigin,
  type PolicyProblem,
  policySetVersion,
} from '../../domain/policy/policy-set';

/**
 * Node 22's V8 (12.4, also Lambda's nodejs22.x) inlines calls from optimised JavaScript into Cedar's wasm, and
 * aborts the whole process ("Fatal error ... unreachable code" in Deoptimizer::DoComputeBuiltinContinuation)
 * when such code is deoptimised during the call: the local system died under a few thousand decisions (a
 * simulation, the intake bench), every time, and never with the inlining off. It is off for the process before
 * Cedar is first called; the calls it touches each take a millisecond of wasm, which inlining does not shorten.
 */
setFlagsFromString('--no-turbo-inline-js-wasm-calls');

/** A policy set that Cedar refused: each problem names the policy, the line and Cedar's message. */
export class InvalidPolicySetError extends ValidationError {
  constructor(readonly problems: PolicyProblem[]) {
    super(
      `The policy set is not valid: ${problems.map(describeProblem).join('; ')}`,
      Object.fromEntries(
        problems.map((problem) => [
          problem.policyId ? `policies.${problem.policyId}` : 'policies',
          problem.line === null ? problem.message : `line ${problem.line}: ${problem.message}`,
        ]),
      ),
    );
  }
}

/** Cedar could not answer at all (a request that does not fit the schema): a bug, never a denial. */
export class PolicyEvaluationError extends Error {
  override readonly name = 'PolicyEvaluationError';
}

const SCHEMA_NAME = 'tollgate';
export const SCHEMA_FILE = 'schema.cedarschema';
let schemaLoaded: string | null = null;

/**
 * A policy set checked against the schema and parsed once (Cedar keeps it in the module's memory under its
 * version), so a decision costs only the evaluations. Compile once per process and version, never per request.
 */
export class CompiledPolicySet {
  private constructor(
    readonly version: string,
    readonly policies: Policies,
    private readonly annotations: ReadonlyMap<string, DeterminingPolicy>,
    /** Each policy's effect and the actions its scope names, when one call can answer every action. */
    private readonly scopes: ReadonlyMap<string, ActionScope> | null,
  ) {}

  /**
   * Validates `policies` against `schema` and prepares them. Throws InvalidPolicySetError naming every
   * problem; `origins` turns a policy's line into its file's line, for sets read from files.
   */
  static compile(
    schema: string,
    policies: Policies,
    origins: Readonly<Record<string, PolicyOrigin>> = {},
  ): CompiledPolicySet {
    prepareSchema(schema);
    const problem = (policyId: string | null, error: cedar.DetailedError): PolicyProblem => {
      const text = policyId ? policies[policyId] : undefined;
      const offset = error.sourceLocations?.[0]?.start;
      const origin = policyId ? origins[policyId] : undefined;
      const lineInPolicy = text !== undefined && offset !== undefined ? lineAt(text, offset) : null;
      return {
        policyId,
        file: origin?.file ?? null,
        line: lineInPolicy === null ? null : lineInPolicy + (origin ? origin.line - 1 : 0),
        message: error.help ? `${error.message} (${error.help})` : error.message,
      };
    };
    // One at a time, so a parse error names its policy even when Cedar's message does not.
    const parseProblems = Object.entries(policies).flatMap(([id, text]) => {
      const parsed = cedar.checkParsePolicySet({ staticPolicies: { [id]: text } });
      return parsed.type === 'failure' ? parsed.errors.map((error) => problem(id, error)) : [];
    });
    if (parseProblems.length > 0) throw new InvalidPolicySetError(parseProblems);

    const validated = cedar.validate({ schema, policies: { staticPolicies: policies } });
    if (validated.type === 'failure')
      throw new InvalidPolicySetError(validated.errors.map((e) => problem(null, e)));
    const validationProblems = validated.validationErrors.map((error) =>
      problem(error.policyId, error.error),
    );
    const annotations = new Map<string, DeterminingPolicy>();
    const jsons = new Map<string, cedar.PolicyJson>();
    for (const [id, text] of Object.entries(policies)) {
      const json = cedar.policyToJson(text);
      const read =
        json.type === 'failure'
          ? { problem: json.errors.map((error) => error.message).join('; ') }
          : readAnnotations(id, json.json);
      if ('problem' in read)
        validationProblems.push({ ...problem(id, noLocation(read.problem)), line: origins[id]?.line ?? 1 });
      else annotations.set(id, read.policy);
      if (json.type === 'success') jsons.set(id, json.json);
    }
    if (validationProblems.length > 0) throw new InvalidPolicySetError(validationProblems);

    const version = policySetVersion(policies);
    const scopes = hasActionGroups(schema) ? null : actionScopes(jsons);
    const prepared = cedar.preparsePolicySet(version, {
      staticPolicies: scopes ? unscopedPermits(jsons) : policies,
    });
    if (prepared.type === 'failure')
      throw new InvalidPolicySetError(prepared.errors.map((e) => problem(null, e)));
    return new CompiledPolicySet(version, policies, annotations, scopes);
  }

  /** Whether `answers` asks Cedar once per request rather than once per action. */
  get answersInOneCall(): boolean {
    return this.scopes !== null;
  }

  /**
   * Every action's answer for one request. Converting the request's entities is most of a Cedar call's
   * cost, so when the set allows it (no policy reads `action` beyond its scope) one call answers them all:
   * Cedar is given every policy as a permit scoped to any action, and names those whose conditions hold;
   * an action is then allowed when one of those permits names it and no forbid that names it holds, as
   * Cedar would have decided the action alone. Otherwise each action is asked on its own.
   */
  answers(inputs: PolicyInputs): AskPolicies {
    const { scopes } = this;
    if (!scopes) return (action) => this.ask(inputs, action, action);
    // Any action will do for the call: the schema gives them all the same principals, resource and context.
    const holding = this.ask(inputs, 'autoReject', 'every action').policies.map((policy) => ({
      policy,
      scope: scopes.get(policy.id) as ActionScope,
    }));
    return (action) => {
      const forbids = holding.filter(({ scope }) => scope.effect === 'forbid' && scope.actions.has(action));
      if (forbids.length > 0) return { allowed: false, policies: forbids.map(({ policy }) => policy) };
      const permits = holding.filter(({ scope }) => scope.effect === 'permit' && scope.actions.has(action));
      return { allowed: permits.length > 0, policies: permits.map(({ policy }) => policy) };
    };
  }

  /** Cedar's answer to one request as `action`: the decision, and the policies that made it. */
  private ask(inputs: PolicyInputs, action: PolicyAction, question: string): ActionAnswer {
    const answer = cedar.statefulIsAuthorized({
      principal: inputs.principal,
      action: actionUid(action),
      resource: inputs.resource,
      context: inputs.context as cedar.Context,
      entities: inputs.entities as cedar.Entities,
      preparsedPolicySetId: this.version,
      preparsedSchemaName: SCHEMA_NAME,
      validateRequest: true,
    });
    if (answer.type === 'failure') {
      throw new PolicyEvaluationError(
        `Cedar could not decide ${question}: ${answer.errors.map((e) => e.message).join('; ')}`,
      );
    }
    const { decision, diagnostics } = answer.response;
    return {
      allowed: decision === 'allow',
      policies: diagnostics.reason.map(
        (id) => this.annotations.get(id) ?? { id, reason: null, maxDuration: null },
      ),
    };
  }
}

function prepareSchema(schema: string): void {
  if (schemaLoaded === schema) return;
  const parsed = cedar.preparseSchema(SCHEMA_NAME, schema);
  if (parsed.type === 'failure') {
    throw new InvalidPolicySetError(
      parsed.errors.map((error) => {
        const offset = error.sourceLocations?.[0]?.start;
        return {
          policyId: null,
          file: SCHEMA_FILE,
          line: offset === undefined ? null : lineAt(schema, offset),
          message: error.help ? `${error.message} (${error.help})` : error.message,
        };
      }),
    );
  }
  schemaLoaded = schema;
}

/** `@id`, when a policy carries one, must be its key; `@maxDuration` must be an ISO 8601 duration. */
function readAnnotations(
  id: string,
  json: cedar.PolicyJson,
): { policy: DeterminingPolicy } | { problem: string } {
  const annotations = json.annotations ?? {};
  if (annotations.id !== undefined && annotations.id !== id) {
    return { problem: `its @id("${annotations.id}") does not match the id it is stored under` };
  }
  const maxDuration = annotations.maxDuration ?? null;
  if (maxDuration !== null && !parseDuration(maxDuration)) {
    return { problem: `@maxDuration("${maxDuration}") is not an ISO 8601 duration such as PT8H or P30D` };
  }
  return { policy: { id, reason: annotations.reason ?? null, maxDuration } };
}

interface ActionScope {
  effect: 'permit' | 'forbid';
  actions: ReadonlySet<PolicyAction>;
}

const ACTIONS: readonly PolicyAction[] = [...outcomeActions, ...Object.values(stageActions)];

/** With action groups, whether an action is `in` another depends on the schema: each action is asked alone. */
function hasActionGroups(schema: string): boolean {
  const json = cedar.schemaToJson(schema);
  if (json.type === 'failure') return true;
  return Object.values(json.json).some((namespace) =>
    Object.values(namespace.actions).some((action) => (action.memberOf ?? []).length > 0),
  );
}

/**
 * The actions each policy's scope names, or null when some policy cannot be read that way: its scope
 * names an action group, or its conditions read `action`.
 */
function actionScopes(jsons: ReadonlyMap<string, cedar.PolicyJson>): Map<string, ActionScope> | null {
  const scopes = new Map<string, ActionScope>();
  for (const [id, json] of jsons) {
    const actions = scopedActions(json.action);
    if (!actions || readsAction(json.conditions)) return null;
    scopes.set(id, { effect: json.effect, actions: new Set(actions) });
  }
  return scopes;
}

/** The actions a scope names, or null when it names something else (a group, a template's slot). */
function scopedActions(constraint: cedar.ActionConstraint): PolicyAction[] | null {
  if (constraint.op === 'All') return [...ACTIONS];
  const named =
    'entities' in constraint ? constraint.entities : 'entity' in constraint ? [constraint.entity] : [];
  const actions = named.map((entity) => {
    const uid = '__entity' in entity ? entity.__entity : entity;
    return ACTIONS.find((action) => uid.type === entityTypes.action && uid.id === action);
  });
  return named.length > 0 && actions.every((action) => action !== undefined) ? actions : null;
}

/** Whether an expression tree mentions the `action` variable anywhere. */
function readsAction(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(readsAction);
  if (value === null || typeof value !== 'object') return false;
  if ((value as { Var?: unknown }).Var === 'action') return true;
  return Object.values(value).some(readsAction);
}

/** The set as one call evaluates it: every policy a permit for any action, its conditions unchanged. */
const unscopedPermits = (jsons: ReadonlyMap<string, cedar.PolicyJson>): Record<string, cedar.PolicyJson> =>
  Object.fromEntries(
    [...jsons].map(([id, json]) => [id, { ...json, effect: 'permit', action: { op: 'All' } }]),
  );

const noLocation = (message: string): cedar.DetailedError => ({
  message,
  help: null,
  code: null,
  url: null,
  severity: null,
});

/** The 1-based line of `offset` in `text`. */
export const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;
