import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';

/** A policy id as Cedar's `@id` annotation gives it, and as decisions and errors name it. */
export const policyIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'must be lowercase letters, digits, dots, dashes or underscores');

/** Policies go to Cedar as an id-to-text map, so its answers name them. */
export const policySetSchema = z
  .record(policyIdSchema, z.string().min(1).max(100_000))
  .refine((policies) => Object.keys(policies).length > 0, 'must hold at least one policy')
  .meta({ id: 'Policies', description: 'Policy id to the Cedar text of that one policy' });
export type Policies = z.infer<typeof policySetSchema>;

/** The version of a policy set: the SHA-256 of its canonical JSON (RFC 8785), so equal sets share it. */
export function policySetVersion(policies: Policies): string {
  return createHash('sha256')
    .update(canonicalize(policies) as string)
    .digest('hex');
}

/** Where a policy came from, so an error can point at the line a person wrote. */
export interface PolicyOrigin {
  file: string;
  /** The line of the file where the policy's text starts (1-based). */
  line: number;
}

/** One problem with a policy set: the policy, the line (in its file when it has one), and Cedar's message. */
export interface PolicyProblem {
  policyId: string | null;
  file: string | null;
  line: number | null;
  message: string;
}

export const describeProblem = (problem: PolicyProblem): string => {
  const where = [problem.file, problem.line === null ? null : `line ${problem.line}`]
    .filter((part) => part !== null)
    .join(', ');
  const policy = problem.policyId ? `policy ${problem.policyId}` : 'the policy set';
  return `${policy}${where ? ` (${where})` : ''}: ${problem.message}`;
};
