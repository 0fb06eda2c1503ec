import { resolve } from 'node:path';
import { z } from 'zod';
import { weeklyReportTimeProblem } from '../schedules';

const port = z.coerce.number().int().min(0).max(65535);

/**
 * The local runtime's settings, from the environment, parsed once: a bad value stops `npm start`
 * with a message naming it. Service ports default to the ones next to the API's (or to any free
 * port when the API's is 0).
 */
const settingsSchema = z
  .object({
    PORT: port.default(3000),
    TOLLGATE_DATA_DIR: z.string().min(1).default('.tollgate'),
    TOLLGATE_STORE: z.enum(['disk', 'memory']).default('disk'),
    TOLLGATE_DYNAMODB_PORT: port.optional(),
    TOLLGATE_SFN_PORT: port.optional(),
    TOLLGATE_SES_PORT: port.optional(),
    TOLLGATE_SCHEDULER_PORT: port.optional(),
    TOLLGATE_S3_PORT: port.optional(),
    /** The local OpenID provider the console signs in with (PORT+8, clear of the other services). */
    TOLLGATE_OIDC_PORT: port.optional(),
    /** The local Secrets Manager endpoint that serves the integrations' webhook secrets (PORT+6). */
    TOLLGATE_SECRETS_PORT: port.optional(),
    /** The local Lambda endpoint (Invoke) a write with new outbound events asks the dispatcher through (PORT+7). */
    TOLLGATE_LAMBDA_PORT: port.optional(),
    TOLLGATE_TIME_SCALE: z.coerce.number().positive().max(1).default(1),
    TOLLGATE_QUIET: z.enum(['true', 'false']).default('false'),
    /** Seed three months of demo history on the first start (local/demo-history.ts); tests start without. */
    TOLLGATE_DEMO_HISTORY: z.enum(['true', 'false']).default('true'),
    /** When the weekly report goes out: a cron() expression, read in WEEKLY_REPORT_TIME_ZONE. */
    WEEKLY_REPORT_SCHEDULE: z.string().optional(),
    WEEKLY_REPORT_TIME_ZONE: z.string().default('UTC'),
  })
  .superRefine((env, context) => {
    if (env.WEEKLY_REPORT_SCHEDULE === undefined) return;
    const problem = weeklyReportTimeProblem({
      expression: env.WEEKLY_REPORT_SCHEDULE,
      timeZone: env.WEEKLY_REPORT_TIME_ZONE,
    });
    if (problem) {
      const setting = problem.field === 'expression' ? 'WEEKLY_REPORT_SCHEDULE' : 'WEEKLY_REPORT_TIME_ZONE';
      context.addIssue({ code: 'custom', path: [setting], message: problem.message });
    }
  })
  .transform((env) => {
    const next = (offset: number) => (env.PORT === 0 ? 0 : env.PORT + offset);
    return {
      port: env.PORT,
      dataDir: resolve(env.TOLLGATE_DATA_DIR),
      store: env.TOLLGATE_STORE,
      dynamodbPort: env.TOLLGATE_DYNAMODB_PORT ?? next(1),
      stepFunctionsPort: env.TOLLGATE_SFN_PORT ?? next(2),
      sesPort: env.TOLLGATE_SES_PORT ?? next(3),
      schedulerPort: env.TOLLGATE_SCHEDULER_PORT ?? next(4),
      s3Port: env.TOLLGATE_S3_PORT ?? next(5),
      oidcPort: env.TOLLGATE_OIDC_PORT ?? next(8),
      secretsPort: env.TOLLGATE_SECRETS_PORT ?? next(6),
      lambdaPort: env.TOLLGATE_LAMBDA_PORT ?? next(7),
      timeScale: env.TOLLGATE_TIME_SCALE,
      quiet: env.TOLLGATE_QUIET === 'true',
      demoHistory: env.TOLLGATE_DEMO_HISTORY === 'true',
      weeklyReport:
        env.WEEKLY_REPORT_SCHEDULE === undefined
          ? undefined
          : { expression: env.WEEKLY_REPORT_SCHEDULE, timeZone: env.WEEKLY_REPORT_TIME_ZONE },
    };
  });

export type LocalSettings = z.output<typeof settingsSchema>;

export function readLocalSettings(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('\n  ');
    throw new Error(`Tollgate's local settings are invalid:\n  ${problems}`);
  }
  return result.data;
}
