import { Logger } from '@aws-lambda-powertools/logger';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { cachedDirectory } from '../adapters/cached-directory';
import { HmacCursorCodec } from '../adapters/cursor-codec';
import { LambdaDispatchTrigger } from '../adapters/dispatch-trigger';
import { DynamoAnalyticsSource, DynamoAnalyticsStore } from '../adapters/dynamodb/analytics-store';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoDelegationStore } from '../adapters/dynamodb/delegation-store';
import { DynamoDeliveryStore } from '../adapters/dynamodb/delivery-store';
import { DynamoDirectory } from '../adapters/dynamodb/directory-store';
import { DynamoIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import { DynamoJobStore } from '../adapters/dynamodb/job-store';
import { DynamoSnapshotStore } from '../adapters/dynamodb/policy-store';
import { DynamoSecurityEvents } from '../adapters/dynamodb/security-events';
import { DynamoTicketHistory } from '../adapters/dynamodb/ticket-history';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { DynamoGrantStore, DynamoLinkStore, DynamoTaskStore } from '../adapters/dynamodb/workflow-records';
import { SesMailer } from '../adapters/email/mailer';
import { InjectedFaults } from '../adapters/faults';
import { createS3Client } from '../adapters/s3/client';
import { S3ExportFiles } from '../adapters/s3/export-files';
import { SchedulerGrantSchedules } from '../adapters/scheduler';
import { readSecretString } from '../adapters/secrets';
import {
  createStepFunctionsClient,
  StepFunctionsJobRunner,
  StepFunctionsRevocations,
  StepFunctionsWorkflow,
} from '../adapters/step-functions';
import { randomSecrets, systemClock, ulidIds } from '../adapters/system';
import { SecretsManagerWebhookSecrets } from '../adapters/webhook-secrets';
import { StandardWebhookSender, SubscriberSender } from '../adapters/webhook-sender';
import { DispatchingTicketStore } from '../app/outbound';
import type { DispatchTrigger } from '../app/ports';
import { type Config, readConfig } from '../config';

export const logger = new Logger({ serviceName: 'tollgate' });

/** Without a dispatcher function to invoke (WEBHOOK_DISPATCHER_FUNCTION), its schedule alone delivers. */
const scheduleOnly: DispatchTrigger = { dispatch: async () => {} };

/** Everything a handler needs, built once per process from the configuration. */
function buildDeps(config: Config) {
  const db = createDocumentClient();
  const stepFunctions = createStepFunctionsClient();
  const faults = new InjectedFaults(config.faults, (message) => logger.warn(message));
  const mailer = faults.wrap(
    'mailer',
    new SesMailer(new SESv2Client({}), config.senderAddress, config.sesConfigurationSet),
  );
  const webhookSecrets = new SecretsManagerWebhookSecrets();
  const log = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
  const dispatcher = config.dispatcherFunction
    ? faults.wrap('dispatcher', new LambdaDispatchTrigger(new LambdaClient({}), config.dispatcherFunction))
    : null;
  return {
    config,
    /** The one DynamoDB client of the process, for deps built on top of these (policy-deps.ts). */
    db,
    faults,
    clock: systemClock,
    ids: ulidIds,
    secrets: randomSecrets,
    settings: {
      publicBaseUrl: config.publicBaseUrl,
      timeScale: config.timeScale,
      deadlines: config.deadlines,
      adminDefaultMaxDuration: config.adminDefaultMaxDuration,
      simulationPageSize: config.simulationPageSize,
      analyticsThresholds: config.analytics.thresholds,
      analyticsRecipients: config.analytics.recipients,
    },
    log,
    // A write with new events for subscribers asks the dispatcher to deliver them at once.
    tickets: new DispatchingTicketStore(faults.wrap('tickets', new DynamoTicketStore(db, config.tableName)), {
      dispatcher,
      subscribers: config.subscribers,
      log,
    }),
    directory: faults.wrap(
      'directory',
      cachedDirectory(new DynamoDirectory(db, config.tableName), config.directoryCacheMs),
    ),
    /** The same directory without the cache, and writable: what directory and catalog changes read and write. */
    directoryStore: faults.wrap('directory', new DynamoDirectory(db, config.tableName)),
    idempotency: faults.wrap('idempotency', new DynamoIdempotencyStore(db, config.tableName)),
    tasks: faults.wrap('tasks', new DynamoTaskStore(db, config.tableName)),
    links: faults.wrap('links', new DynamoLinkStore(db, config.tableName)),
    grants: faults.wrap('grants', new DynamoGrantStore(db, config.tableName)),
    delegations: faults.wrap('delegations', new DynamoDelegationStore(db, config.tableName)),
    snapshots: faults.wrap('snapshots', new DynamoSnapshotStore(db, config.tableName)),
    securityEvents: new DynamoSecurityEvents(db, config.tableName),
    jobs: faults.wrap('jobs', new DynamoJobStore(db, config.tableName)),
    history: faults.wrap('history', new DynamoTicketHistory(db, config.tableName)),
    cursors: new HmacCursorCodec(config.signingSecret),
    mailer,
    analyticsSource: new DynamoAnalyticsSource(db, config.tableName),
    analytics: new DynamoAnalyticsStore(db, config.tableName),
    workflow: faults.wrap('workflow', new StepFunctionsWorkflow(stepFunctions, config.stateMachineArn)),
    revocations: faults.wrap(
      'revocations',
      new StepFunctionsRevocations(stepFunctions, config.revocationStateMachineArn),
    ),
    grantSchedules: faults.wrap(
      'grantSchedules',
      new SchedulerGrantSchedules(new SchedulerClient({}), config.grantSchedules),
    ),
    simulations: faults.wrap(
      'simulations',
      new StepFunctionsJobRunner(stepFunctions, config.simulationStateMachineArn),
    ),
    exports: faults.wrap('exports', new StepFunctionsJobRunner(stepFunctions, config.exportStateMachineArn)),
    exportFiles: faults.wrap('exportFiles', new S3ExportFiles(createS3Client(), config.exportsBucket)),
    webhookSecrets,
    /** Webhooks out: the deliveries, and what sends them (the dispatcher's own deps: handlers/scheduled/webhook-dispatch.ts). */
    deliveries: faults.wrap('deliveries', new DynamoDeliveryStore(db, config.tableName)),
    deliverySender: faults.wrap(
      'deliverySender',
      new SubscriberSender(webhookSecrets, { allowInternalTargets: config.allowInternalWebhookTargets }),
    ),
    dispatcher: dispatcher ?? scheduleOnly,
    webhooks: faults.wrap(
      'webhooks',
      new StandardWebhookSender(webhookSecrets, {
        integrations: config.integrations,
        targets: config.webhookTargets,
        allowInternalTargets: config.allowInternalWebhookTargets,
        log,
      }),
    ),
  };
}

export type Deps = ReturnType<typeof buildDeps>;

/**
 * In AWS the signing secret stays out of the environment: SIGNING_SECRET_ARN names it, and its
 * value is read here once per cold start (a top-level await: during the function's init phase).
 * Locally SIGNING_SECRET holds the value itself.
 */
const signingSecretArn = process.env.SIGNING_SECRET_ARN;
const signingSecret = signingSecretArn ? await readSecretString(signingSecretArn) : undefined;

let deps: Deps | undefined;

export function getDeps(): Deps {
  deps ??= buildDeps(
    readConfig(signingSecret ? { ...process.env, SIGNING_SECRET: signingSecret } : process.env),
  );
  return deps;
}
