import { z } from 'zod';
import { thresholdsSchema } from './domain/analytics/thresholds';
import { deadlineSettingsSchema } from './domain/deadlines';
import { isDuration } from './domain/duration';
import { subscriberSchema } from './domain/outbound/deliveries';
import { demoIntegrations, integrationSchema } from './domain/webhooks';
import {
  accessRequestStateMachine,
  auditExportStateMachine,
  policySimulationStateMachine,
  revocationStateMachine,
} from './workflow';

/** A setting holding JSON, parsed (a bad one names the setting: `must be JSON`). */
const jsonSetting = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    });

/**
 * The settings every handler reads, parsed once at start-up: a missing or bad one fails the cold
 * start with a message naming it, instead of failing a request later.
 */
const configSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The JWT claim that carries the caller's directory id: `sub` locally, `email` with Cognito. */
  CALLER_CLAIM: z.enum(['sub', 'email']).default('email'),
  /** HMAC key for list cursors and page forms: at least 32 characters. In AWS read from SIGNING_SECRET_ARN (handlers/deps.ts). */
  SIGNING_SECRET: z.string().min(32),
  /** The access-request state machine's ARN, in the setting functions/workflow.ts names. */
  [accessRequestStateMachine.arnSetting]: z.string().startsWith('arn:'),
  /** The policy-simulation state machine's ARN, likewise. */
  [policySimulationStateMachine.arnSetting]: z.string().startsWith('arn:'),
  /** The grant-revocation state machine's ARN, likewise: what a grant's schedule starts. */
  [revocationStateMachine.arnSetting]: z.string().startsWith('arn:'),
  /** The audit-export state machine's ARN, likewise. */
  [auditExportStateMachine.arnSetting]: z.string().startsWith('arn:'),
  /** The bucket audit exports are written to (its lifecycle rule deletes them after 7 days). */
  EXPORTS_BUCKET: z.string().min(3),
  /** The role EventBridge Scheduler assumes to start a revocation when a grant's schedule fires. */
  GRANT_SCHEDULER_ROLE_ARN: z.string().startsWith('arn:'),
  /** The queue that receives a grant schedule's event when Scheduler could not start the revocation. */
  GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN: z.string().startsWith('arn:'),
  /** Tickets a simulation step reads (at most 100, BatchGetItem's most); fewer in tests, to see it page. */
  SIMULATION_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  SENDER_ADDRESS: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().optional(),
  /** Where emailed links point: the API's public URL, without a trailing slash. */
  PUBLIC_BASE_URL: z.url().transform((url) => url.replace(/\/+$/, '')),
  /** How long directory and catalog reads are kept per process; 0 reads the table every time. */
  DIRECTORY_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /**
   * The cap of an `admin` entitlement without a maxDuration of its own, and its duration when a
   * request asks for none: ISO 8601, months being calendar months in UTC.
   */
  ADMIN_DEFAULT_MAX_DURATION: z
    .string()
    .default('P7D')
    .refine(isDuration, { message: 'must be an ISO 8601 duration such as P7D, PT12H or P1M' }),
  /**
   * The checkpoints of each wait by urgency, as JSON naming only what differs from the defaults
   * (functions/domain/deadlines.ts): reminder, escalation and final deadline of approvals and
   * fulfilment; first response, resolution and final deadline of support tickets.
   */
  DEADLINES: jsonSetting('{}').pipe(deadlineSettingsSchema),
  /**
   * When each analytics signal is raised, as JSON naming only what differs from the defaults
   * (functions/domain/analytics/thresholds.ts).
   */
  ANALYTICS_THRESHOLDS: jsonSetting('{}').pipe(thresholdsSchema),
  /** Who the weekly analytics report is emailed to: addresses separated by commas; none sends nothing (it is stored still). */
  ANALYTICS_RECIPIENTS: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((address) => address.trim())
        .filter((address) => address.length > 0),
    )
    .pipe(z.array(z.email())),
  /** The bucket of the audit trail's checkpoints (Object Lock in AWS; the local S3 endpoint's folder locally). */
  AUDIT_BUCKET: z.string().min(3),
  /** The KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs audit checkpoints in AWS, by ARN. */
  AUDIT_SIGNING_KEY_ARN: z.string().startsWith('arn:').optional(),
  /** Locally instead: the ECDSA P-256 private key file (PKCS#8 PEM) `npm start` makes under `.tollgate/`. */
  AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /**
   * The console's OpenID provider, by its issuer URL (discovery is read from it): the Cognito user
   * pool in AWS, the local provider locally. Without it the console's pages answer that sign-in is
   * not set up; the JSON API does not need it.
   */
  OIDC_ISSUER: z.url().optional(),
  /** The console's public app client (no secret: the authorization-code flow with PKCE). */
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  /**
   * Where sign-out sends the browser when the provider's discovery names no `end_session_endpoint`:
   * Cognito's `https://{domain}/logout`, which takes `client_id` and `logout_uri`.
   */
  OIDC_LOGOUT_URL: z.url().optional(),
  /**
   * The integrations that may send webhooks, as JSON: `[{name, events, secretId}]`, `secretId`
   * naming the Secrets Manager secret of its `whsec_` secrets (default: the name). Default: the demo's.
   */
  WEBHOOK_INTEGRATIONS: jsonSetting(JSON.stringify(demoIntegrations)).pipe(z.array(integrationSchema)),
  /**
   * Where each integration's outbound webhooks go, as JSON `{integration: url}`, ahead of the
   * catalog's URL (the demo's points at `npm run webhook -- listen`).
   */
  WEBHOOK_TARGETS: jsonSetting('{}').pipe(z.record(z.string(), z.url())),
  /**
   * Who receives outbound events (webhooks out), as JSON: `[{name, url, events, secretId}]`,
   * `secretId` naming the Secrets Manager secret of its `whsec_` secrets (default
   * `subscriber-{name}`). Default: none (locally, `npm start` sets the demo's).
   */
  WEBHOOK_SUBSCRIBERS: jsonSetting('[]').pipe(
    z
      .array(subscriberSchema)
      .refine((subscribers) => new Set(subscribers.map(({ name }) => name)).size === subscribers.length, {
        message: 'names each subscriber once',
      }),
  ),
  /**
   * The function that delivers outbound events (the `webhook-dispatch` schedule's), which a write
   * with new events invokes at once; without it, its schedule delivers them.
   */
  WEBHOOK_DISPATCHER_FUNCTION: z.string().min(1).optional(),
  /** Whether a webhook may go to a loopback, private or link-local address: never in AWS unless set (SSRF). */
  WEBHOOK_ALLOW_INTERNAL_TARGETS: z.enum(['true', 'false']).default('false'),
  /** Shortens deadlines and grant lifetimes (local demos and tests); 1 in AWS. */
  TIME_SCALE: z.coerce.number().positive().max(1).default(1),
  /** Local mode only: fault injection for the fault tests. Ignored unless TOLLGATE_LOCAL is true. */
  TOLLGATE_FAULTS: z.string().default(''),
  TOLLGATE_LOCAL: z.enum(['true', 'false']).default('false'),
});

/** One signing key for the audit checkpoints: KMS in AWS, a key file locally. */
const checkedConfigSchema = configSchema.superRefine((settings, context) => {
  if ((settings.AUDIT_SIGNING_KEY_ARN === undefined) === (settings.AUDIT_SIGNING_KEY_FILE === undefined)) {
    context.addIssue({
      code: 'custom',
      path: ['AUDIT_SIGNING_KEY_ARN'],
      message:
        'set exactly one of AUDIT_SIGNING_KEY_ARN (a KMS key, in AWS) and AUDIT_SIGNING_KEY_FILE (a key file, locally)',
    });
  }
});

export type Config = ReturnType<typeof readConfig>;

export function readConfig(env: NodeJS.ProcessEnv = process.env) {
  const result = checkedConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(`Tollgate configuration is invalid: ${problems}`);
  }
  const settings = result.data;
  return {
    tableName: settings.TABLE_NAME,
    callerClaim: settings.CALLER_CLAIM,
    signingSecret: settings.SIGNING_SECRET,
    stateMachineArn: settings[accessRequestStateMachine.arnSetting],
    simulationStateMachineArn: settings[policySimulationStateMachine.arnSetting],
    revocationStateMachineArn: settings[revocationStateMachine.arnSetting],
    exportStateMachineArn: settings[auditExportStateMachine.arnSetting],
    exportsBucket: settings.EXPORTS_BUCKET,
    grantSchedules: {
      roleArn: settings.GRANT_SCHEDULER_ROLE_ARN,
      deadLetterQueueArn: settings.GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN,
    },
    simulationPageSize: settings.SIMULATION_PAGE_SIZE,
    senderAddress: settings.SENDER_ADDRESS,
    sesConfigurationSet: settings.SES_CONFIGURATION_SET,
    publicBaseUrl: settings.PUBLIC_BASE_URL,
    timeScale: settings.TIME_SCALE,
    deadlines: settings.DEADLINES,
    adminDefaultMaxDuration: settings.ADMIN_DEFAULT_MAX_DURATION,
    analytics: { thresholds: settings.ANALYTICS_THRESHOLDS, recipients: settings.ANALYTICS_RECIPIENTS },
    directoryCacheMs: settings.DIRECTORY_CACHE_SECONDS * 1000,
    audit: {
      bucket: settings.AUDIT_BUCKET,
      signingKey: settings.AUDIT_SIGNING_KEY_ARN
        ? { kind: 'kms' as const, keyArn: settings.AUDIT_SIGNING_KEY_ARN }
        : { kind: 'file' as const, path: settings.AUDIT_SIGNING_KEY_FILE ?? '' },
    },
    openId:
      settings.OIDC_ISSUER && settings.OIDC_CLIENT_ID
        ? {
            issuer: settings.OIDC_ISSUER,
            clientId: settings.OIDC_CLIENT_ID,
            logoutUrl: settings.OIDC_LOGOUT_URL,
          }
        : null,
    faults: settings.TOLLGATE_LOCAL === 'true' ? settings.TOLLGATE_FAULTS : '',
    integrations: settings.WEBHOOK_INTEGRATIONS,
    webhookTargets: settings.WEBHOOK_TARGETS,
    subscribers: settings.WEBHOOK_SUBSCRIBERS,
    dispatcherFunction: settings.WEBHOOK_DISPATCHER_FUNCTION ?? null,
    allowInternalWebhookTargets:
      settings.WEBHOOK_ALLOW_INTERNAL_TARGETS === 'true' || settings.TOLLGATE_LOCAL === 'true',
  };
}
