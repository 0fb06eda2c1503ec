import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { Policies, PolicyOrigin, PolicyProblem } from '../../domain/policy/policy-set';
import { CompiledPolicySet, InvalidPolicySetError, lineAt, SCHEMA_FILE } from './engine';

export interface PolicyFolder {
  schema: string;
  policies: Policies;
  origins: Record<string, PolicyOrigin>;
}

/**
 * Reads a folder of `.cedar` files and its `schema.cedarschema` into the id-to-text map Cedar takes.
 * Every policy names itself with `@id("...")`, unique across the folder; a policy's origin (file and
 * line) is kept so that errors point at what a person wrote. Throws InvalidPolicySetError.
 */
export function readPolicyFolder(folder: string): PolicyFolder {
  const problems: PolicyProblem[] = [];
  const policies: Policies = {};
  const origins: Record<string, PolicyOrigin> = {};
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.cedar'))
    .sort();
  for (const file of files) {
    const text = readFileSync(join(folder, file), 'utf8');
    const parts = cedar.policySetTextToParts(text);
    if (parts.type === 'failure') {
      for (const error of parts.errors) {
        const offset = error.sourceLocations?.[0]?.start;
        problems.push({
          policyId: null,
          file,
          line: offset === undefined ? null : lineAt(text, offset),
          message: error.message,
        });
      }
      continue;
    }
    // Cedar gives each policy's exact text; finding it in order gives the line it starts on.
    let cursor = 0;
    for (const part of parts.policies) {
      const start = text.indexOf(part, cursor);
      cursor = start + part.length;
      const line = lineAt(text, start);
      const json = cedar.policyToJson(part);
      const id = json.type === 'success' ? json.json.annotations?.id : undefined;
      if (!id) {
        problems.push({ policyId: null, file, line, message: 'every policy needs an @id("...") annotation' });
      } else if (policies[id] !== undefined) {
        const first = origins[id];
        problems.push({
          policyId: id,
          file,
          line,
          message: `the id is already used (${first?.file}, line ${first?.line})`,
        });
      } else {
        policies[id] = part;
        origins[id] = { file, line };
      }
    }
  }
  if (files.length === 0)
    problems.push({ policyId: null, file: null, line: null, message: `no .cedar file in ${folder}` });
  if (problems.length > 0) throw new InvalidPolicySetError(problems);
  return { schema: readFileSync(join(folder, SCHEMA_FILE), 'utf8'), policies, origins };
}

/** Reads and compiles a folder: what start-up and `npm test` do with `policies/`. */
export function compilePolicyFolder(folder: string): { folder: PolicyFolder; compiled: CompiledPolicySet } {
  const read = readPolicyFolder(folder);
  return { folder: read, compiled: CompiledPolicySet.compile(read.schema, read.policies, read.origins) };
}
