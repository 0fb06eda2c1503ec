import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import { deadlineSettingsSchema } from '../functions/domain/deadlines';
import { isDuration } from '../functions/domain/duration';
import { subscriberSchema } from '../functions/domain/outbound/deliveries';
import { demoIntegrations, integrationSchema } from '../functions/domain/webhooks';
import { type WeeklyReportTime, weeklyReportTimeProblem } from '../functions/schedules';

/**
 * The deployment's settings, read from CDK context (`-c name=value` or the `context` of cdk.json)
 * and parsed at synth time, so a bad value stops `cdk synth` with a message naming the setting
 * instead of deploying something broken. Every setting has a default, so a fresh clone synthesizes
 * offline; docs/deploy.md says which ones a real deployment must set.
 */

/** The address of a mailbox: `ops@example.com` in `Tollgate <ops@example.com>`. */
export const addressOf = (mailbox: string): string => /<([^<>]+)>$/.exec(mailbox)?.[1] ?? mailbox;

/** A setting given as JSON with `-c`, or as the value itself in cdk.json; unparsable JSON names an example. */
const jsonSetting = (example: string) =>
  z.unknown().transform((value, context) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: example });
      return z.NEVER;
    }
  });

/** `ops@example.com` or `Tollgate <ops@example.com>`: SES accepts a display name before the address. */
const mailbox = z
  .string()
  .trim()
  .refine((value) => z.email().safeParse(addressOf(value)).success, {
    message: 'must be an email address, optionally as "Name <address>"',
  });

/** Context given on the command line is always a string: accept a comma-separated list as well as an array. */
const addressList = z
  .union([z.array(z.string()), z.string()])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(','))
      .map((address) => address.trim())
      .filter((address) => address !== ''),
  )
  .pipe(z.array(z.email('must be a list of email addresses')));

/**
 * Where Cognito may send a browser back to after sign-in or sign-out: an absolute URI without a
 * fragment, https except `http://localhost` for testing (CreateUserPoolClient, CallbackURLs).
 */
const isRedirectUrl = (value: string): boolean => {
  if (!URL.canParse(value) || value.includes('#')) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost');
};

/** A list of redirect URLs; on the command line, comma-separated. */
const redirectUrlList = z
  .union([z.array(z.string()), z.string()])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((url) => url.trim()).filter((url) => url !== ''),
  )
  .pipe(
    z.array(
      z.string().refine(isRedirectUrl, {
        message: 'must be an absolute https:// URL (http:// only for localhost), without a #fragment',
      }),
    ),
  );

const retentionValues = Object.values(RetentionDays).filter(
  (days): days is number => typeof days === 'number',
);

const contextSchema = z
  .object({
    /**
     * Leads the name of both stacks (`<prefix>-Stateful`, `<prefix>-Stateless`) and so of every
     * resource named after them (state machines, their log groups, schedules, exports), so two
     * deployments with different prefixes can share an account and region.
     */
    stackPrefix: z
      .string()
      .regex(
        /^[A-Za-z][A-Za-z0-9-]{0,29}$/,
        'must be a letter, then up to 29 letters, digits or hyphens (it leads stack and resource names)',
      )
      .default('Tollgate'),
    /** The From address of every email; its domain or address must be a verified SES identity. */
    senderAddress: mailbox.default('Tollgate <tollgate@example.com>'),
    /** Where emailed links point. Default: the custom domain if set, else the API's own URL. */
    publicBaseUrl: z
      .url({ protocol: /^https$/, error: 'must be an https:// URL' })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /**
     * An SES configuration set to send through (event publishing, dedicated IPs, suppression
     * overrides). It must exist in the region of the stack; the stack does not create it.
     */
    sesConfigurationSet: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,64}$/,
        'must be the name of an SES configuration set: letters, digits, _ and -',
      )
      .optional(),
    /**
     * While the account is in the SES sandbox, SES also checks the sender's permission on each
     * recipient's (verified) identity: list those addresses here. Leave it empty in production.
     */
    sesSandboxRecipients: addressList.default([]),
    /** Who receives the scheduled analytics reports. */
    reportRecipients: addressList.default([]),
    /**
     * When the weekly report goes out: a cron() expression (AWS's six fields) read in
     * weeklyReportTimeZone. Default: Mondays at 07:00 UTC (functions/schedules.ts).
     */
    weeklyReportSchedule: z.string().optional(),
    weeklyReportTimeZone: z.string().default('UTC'),
    /** A host name for the API, served with the ACM certificate in certificateArn (same region). */
    customDomain: z
      .string()
      .regex(/^(?!-)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/i, 'must be a host name such as access.example.com')
      .optional(),
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, 'must be an ACM certificate ARN')
      .optional(),
    /**
     * The cap of `admin` entitlements without a maxDuration of their own, and their duration when
     * none is asked for (ADMIN_DEFAULT_MAX_DURATION of the functions; P7D when unset).
     */
    adminDefaultMaxDuration: z
      .string()
      .refine(isDuration, { message: 'must be an ISO 8601 duration such as P7D, PT12H or P1M' })
      .optional(),
    /**
     * Reminder, escalation and final deadline of each wait by urgency, naming only what differs
     * from functions/domain/deadlines.ts (DEADLINES of the functions). Given as JSON with `-c`, or
     * as an object in cdk.json.
     */
    deadlines: jsonSetting(
      'must be JSON such as {"approval":{"high":{"reminder":"PT4H","escalation":"PT8H","final":"PT12H"}}}',
    )
      .pipe(deadlineSettingsSchema)
      .optional(),
    /**
     * The integrations that may post webhooks (`[{name, events}]`): each gets a Secrets Manager
     * secret for its `whsec_` secrets, created holding none (docs/deploy.md says how to set them).
     * Given as JSON with `-c`, or as a list in cdk.json. Default: the demo's hr, provisioning and servicedesk.
     */
    webhookIntegrations: jsonSetting('must be JSON such as [{"name":"hr","events":["identity.departed"]}]')
      .pipe(z.array(integrationSchema.omit({ secretId: true })))
      .default([...demoIntegrations]),
    /**
     * Who receives outbound events (webhooks out): `[{name, url, events}]`, each given a Secrets
     * Manager secret for its `whsec_` secrets, created holding none (docs/deploy.md says how to set
     * them; until then its deliveries are not sent, and fail after 24 hours). URLs must be https
     * and public. Given as JSON with `-c`, or as a list in cdk.json. Default: none.
     */
    webhookSubscribers: jsonSetting(
      'must be JSON such as [{"name":"siem","url":"https://siem.example.com/tollgate","events":["grant.activated","grant.ended"]}]',
    )
      .pipe(
        z
          .array(
            subscriberSchema
              .omit({ secretId: true })
              .extend({ url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }) }),
          )
          .refine((subscribers) => new Set(subscribers.map(({ name }) => name)).size === subscribers.length, {
            message: 'names each subscriber once',
          }),
      )
      .default([]),
    /**
     * Where the app client may send a browser back to after signing in with the authorization-code
     * flow (the web console, with PKCE). None: the client has no OAuth flow, only the command-line
     * sign-in of docs/deploy.md.
     */
    oauthCallbackUrls: redirectUrlList.default([]),
    /** Where the app client may send a browser back to after signing out. */
    oauthLogoutUrls: redirectUrlList.default([]),
    /**
     * The prefix of the user pool's sign-in domain (`{prefix}.auth.{region}.amazoncognito.com`), which
     * the console signs in through: unique in the region. Made only with oauthCallbackUrls.
     */
    authDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens')
      .refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'must not contain aws, amazon or cognito')
      .optional(),
    /**
     * Object Lock's mode for the audit checkpoints: GOVERNANCE lets someone with
     * s3:BypassGovernanceRetention delete them early (and the stack be deleted); COMPLIANCE lets
     * nobody, the root user included, for the whole retention.
     */
    auditObjectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
    /** Days each audit checkpoint is kept under Object Lock. */
    auditRetentionDays: z.coerce.number().int().min(1).max(36500).default(400),
    /** How long the functions' and the API's access logs are kept. */
    logRetentionDays: z.coerce
      .number()
      .refine((days) => retentionValues.includes(days), {
        message: `must be one of the CloudWatch Logs retention periods: ${retentionValues.join(', ')}`,
      })
      .default(RetentionDays.THREE_MONTHS),
  })
  .superRefine((settings, context) => {
    const weeklyReport = weeklyReportTime(settings);
    const problem = weeklyReport && weeklyReportTimeProblem(weeklyReport);
    if (problem) {
      context.addIssue({
        code: 'custom',
        path: [problem.field === 'expression' ? 'weeklyReportSchedule' : 'weeklyReportTimeZone'],
        message: problem.message,
      });
    }
    if (settings.oauthLogoutUrls.length > 0 && settings.oauthCallbackUrls.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['oauthLogoutUrls'],
        message: 'logout URLs need oauthCallbackUrls: without them the app client has no sign-in flow',
      });
    }
    if (Boolean(settings.customDomain) !== Boolean(settings.certificateArn)) {
      context.addIssue({
        code: 'custom',
        path: [settings.customDomain ? 'certificateArn' : 'customDomain'],
        message: 'customDomain and certificateArn go together: set both or neither',
      });
    }
  });

export type DeployConfig = z.output<typeof contextSchema>;

/** The weekly report's configured time, if the deployment sets one. */
export function weeklyReportTime(
  config: Pick<DeployConfig, 'weeklyReportSchedule' | 'weeklyReportTimeZone'>,
): WeeklyReportTime | undefined {
  return config.weeklyReportSchedule === undefined
    ? undefined
    : { expression: config.weeklyReportSchedule, timeZone: config.weeklyReportTimeZone };
}

const contextSettings = Object.keys(contextSchema.shape) as (keyof typeof contextSchema.shape)[];

export function readDeployConfig(node: Node): DeployConfig {
  const given = Object.fromEntries(
    contextSettings
      .map((name) => [name, node.tryGetContext(name)])
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = contextSchema.safeParse(given);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(
      `Invalid Tollgate context settings (set them with -c name=value or in cdk.json):\n${problems.join('\n')}`,
    );
  }
  return result.data;
}
