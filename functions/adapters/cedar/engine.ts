import { setFlagsFromString } from 'node:v8';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { parseDuration } from '../../domain/duration';
import { ValidationError } from '../../domain/errors';
import type { PolicyInputs } from '../../domain/policy/inputs';
import {
  type ActionAnswer,
  actionUid,
  type DeterminingPolicy,
  type PolicyAction,
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
    for (const [id, text] of Object.entries(policies)) {
      const read = readAnnotations(id, text);
      if ('problem' in read)
        validationProblems.push({ ...problem(id, noLocation(read.problem)), line: origins[id]?.line ?? 1 });
      else annotations.set(id, read.policy);
    }
    if (validationProblems.length > 0) throw new InvalidPolicySetError(validationProblems);

    const version = policySetVersion(policies);
    const prepared = cedar.preparsePolicySet(version, { staticPolicies: policies });
    if (prepared.type === 'failure')
      throw new InvalidPolicySetError(prepared.errors.map((e) => problem(null, e)));
    return new CompiledPolicySet(version, policies, annotations);
  }

  /** Whether `action` applies to the request: the policies that made it so, with their annotations. */
  ask(inputs: PolicyInputs, action: PolicyAction): ActionAnswer {
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
        `Cedar could not decide ${action}: ${answer.errors.map((e) => e.message).join('; ')}`,
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
function readAnnotations(id: string, text: string): { policy: DeterminingPolicy } | { problem: string } {
  const json = cedar.policyToJson(text);
  if (json.type === 'failure') return { problem: json.errors.map((error) => error.message).join('; ') };
  const annotations = json.json.annotations ?? {};
  if (annotations.id !== undefined && annotations.id !== id) {
    return { problem: `its @id("${annotations.id}") does not match the id it is stored under` };
  }
  const maxDuration = annotations.maxDuration ?? null;
  if (maxDuration !== null && !parseDuration(maxDuration)) {
    return { problem: `@maxDuration("${maxDuration}") is not an ISO 8601 duration such as PT8H or P30D` };
  }
  return { policy: { id, reason: annotations.reason ?? null, maxDuration } };
}

const noLocation = (message: string): cedar.DetailedError => ({
  message,
  help: null,
  code: null,
  url: null,
  severity: null,
});

/** The 1-based line of `offset` in `text`. */
export const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;
