import type { z } from 'zod';
import { ValidationError } from './errors';

/** Turns zod issues into the contract's `fields`: one message per dot path, the first one wins. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  // No prototype: a field named `constructor` or `__proto__` gets its message like any other.
  const fields: Record<string, string> = Object.create(null);
  for (const issue of error.issues) {
    const paths =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => [...issue.path, key].join('.'))
        : [issue.path.join('.')];
    for (const path of paths) {
      const key = path || '(body)';
      if (!Object.hasOwn(fields, key)) fields[key] = describe(issue);
    }
  }
  return fields;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return 'is not a known field';
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  // zod only keeps each issue's input when asked: without it a wrong type reads as "is required".
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ValidationError(`The ${what} is invalid`, fieldErrors(result.error));
  return result.data;
}
