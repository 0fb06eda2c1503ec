import { z } from 'zod';

/**
 * The settings every handler reads, parsed once at start-up: a missing or bad one fails the cold
 * start with a message naming it, instead of failing a request later.
 */
const configSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The JWT claim that carries the caller's directory id: `sub` locally, `email` with Cognito. */
  CALLER_CLAIM: z.enum(['sub', 'email']).default('email'),
  /** HMAC key for list cursors (and, later, links): at least 32 characters. */
  SIGNING_SECRET: z.string().min(32),
});

export type Config = {
  tableName: string;
  callerClaim: 'sub' | 'email';
  signingSecret: string;
};

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(`Tollgate configuration is invalid: ${problems}`);
  }
  return {
    tableName: result.data.TABLE_NAME,
    callerClaim: result.data.CALLER_CLAIM,
    signingSecret: result.data.SIGNING_SECRET,
  };
}
