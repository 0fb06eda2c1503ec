import type { Server } from 'node:http';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { Presets, SingleBar } from 'cli-progress';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoDirectory } from '../adapters/dynamodb/directory-store';
import { DynamoSnapshotStore } from '../adapters/dynamodb/policy-store';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { DynamoGrantStore } from '../adapters/dynamodb/workflow-records';
import { InjectedFaults } from '../adapters/faults';
import { daysOf, rollupDay } from '../app/analytics';
import { readConfig } from '../config';
import { subscriberSecretId } from '../domain/outbound/deliveries';
import { outboundEventTypes } from '../domain/outbound/events';
import { getPolicyDeps } from '../handlers/policy-deps';
import { routes } from '../routes';
import { configuredSchedules, WEBHOOK_DISPATCH } from '../schedules';
import { stateMachines, workflowTasks } from '../workflow';
import { loadOrCreateAuditKey } from './audit-key';
import { lockDataFolder } from './data-lock';
import { DEMO_HISTORY, seedDemoHistory } from './demo-history';
import { createDevRoutes, type LocalMetrics } from './dev-routes';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from './dynamodb';
import { gatewayServerOptions, type HttpHandler, type ServedRoute, startHttpServer } from './http-server';
import { type LocalFunction, localLambdaInvoker } from './lambda';
import { type LocalInvocable, startLocalLambda } from './lambda-service';
import { createLocalAuth } from './local-auth';
import { LOCAL_CONSOLE_CLIENT_ID, startLocalOpenIdProvider } from './openid-provider';
import { listeningOn, openHttpPort } from './ports';
import { localRollupDeps } from './rollups';
import { LOCAL_AUDIT_BUCKET, LOCAL_EXPORTS_BUCKET, startLocalS3 } from './s3';
import { startScheduler } from './scheduler';
import { startLocalSchedulerService } from './scheduler-service';
import { loadOrCreateSecrets } from './secrets';
import { DEFAULT_LISTEN_PORT, startLocalSecretsManager } from './secretsmanager';
import { seedIfEmpty } from './seed';
import { startLocalSes } from './ses';
import type { LocalSettings } from './settings';
import { startLocalStepFunctions } from './stepfunctions';
import { WorkflowPool } from './workflow-pool';

export interface LocalRuntime {
  url: string;
  endpoints: {
    dynamodb: string;
    stepfunctions: string;
    ses: string;
    scheduler: string;
    s3: string;
    openid: string;
    secretsmanager: string;
    lambda: string;
  };
  outboxDir: string;
  /** The integrations' webhook secrets (`.tollgate/webhook-secrets.json`). */
  webhookSecretsFile: string;
  seeded: boolean;
  /** The demo history seeded on this start, if it was (the first start, unless TOLLGATE_DEMO_HISTORY=false). */
  demoHistory: { tickets: number } | null;
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** The local Scheduler keeps these on each schedule as AWS's does; it assumes no role and writes dead letters to disk. */
export const localGrantSchedules = {
  roleArn: `arn:aws:iam::${ACCOUNT}:role/tollgate-grant-scheduler`,
  deadLetterQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:tollgate-grant-schedule-dead-letters`,
};
const ROOT = new URL('../../', import.meta.url);
const localFunctionName = (name: string) => `tollgate-${name}`;
const localFunctionArn = (name: string) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${localFunctionName(name)}`;

/**
 * The whole system on one machine: the embedded store, the local SES, Step Functions and
 * EventBridge Scheduler services, the runner of the stack's own schedules, and the same handlers
 * that run in Lambda, configured through the same environment variables and reached through the
 * same AWS SDK clients, behind a local API Gateway.
 */
export async function startLocalRuntime(
  settings: LocalSettings,
  log: (line: string) => void,
): Promise<LocalRuntime> {
  const unlock = lockDataFolder(settings.dataDir);
  const closers: (() => Promise<void> | void)[] = [unlock];
  const running = new RunningJobs();
  const pool = new WorkflowPool();
  try {
    const secrets = await loadOrCreateSecrets(settings.dataDir);
    const gateway = await openHttpPort('PORT', settings.port, gatewayServerOptions);
    closers.unshift(() => new Promise<void>((resolve) => gateway.server.close(() => resolve())));
    const stepFunctionsEndpoint = await openHttpPort('TOLLGATE_SFN_PORT', settings.stepFunctionsPort);
    closers.unshift(
      () => new Promise<void>((resolve) => stepFunctionsEndpoint.server.close(() => resolve())),
    );
    const schedulerEndpoint = await openHttpPort('TOLLGATE_SCHEDULER_PORT', settings.schedulerPort);
    closers.unshift(() => new Promise<void>((resolve) => schedulerEndpoint.server.close(() => resolve())));
    const s3Endpoint = await openHttpPort('TOLLGATE_S3_PORT', settings.s3Port);
    closers.unshift(() => new Promise<void>((resolve) => s3Endpoint.server.close(() => resolve())));
    const openIdEndpoint = await openHttpPort('TOLLGATE_OIDC_PORT', settings.oidcPort);
    closers.unshift(() => closeServer(openIdEndpoint.server));
    const lambdaEndpoint = await openHttpPort('TOLLGATE_LAMBDA_PORT', settings.lambdaPort);
    closers.unshift(() => closeServer(lambdaEndpoint.server));
    const secretsEndpoint = await openHttpPort('TOLLGATE_SECRETS_PORT', settings.secretsPort);
    const secretsManager = await startLocalSecretsManager({
      dataDir: settings.dataDir,
      server: secretsEndpoint.server,
      region: REGION,
      account: ACCOUNT,
      log,
    });
    closers.unshift(secretsManager.close);
    const url = `http://127.0.0.1:${gateway.port}`;
    const openIdUrl = `http://127.0.0.1:${openIdEndpoint.port}`;
    const outboxDir = join(settings.dataDir, 'outbox');

    const dynamo = await listeningOn('TOLLGATE_DYNAMODB_PORT', settings.dynamodbPort, () =>
      startLocalDynamo({ dataDir: settings.dataDir, store: settings.store, port: settings.dynamodbPort }),
    );
    closers.unshift(dynamo.close);
    const faults = new InjectedFaults(process.env.TOLLGATE_FAULTS ?? '', log);
    // For GET /dev/metrics. SES bills per recipient; every message here has one (each person gets their own link).
    const emails = { sent: 0 };
    const lambda = { http: 0, workflow: 0, scheduled: 0, invoked: 0 };
    const ses = await listeningOn('TOLLGATE_SES_PORT', settings.sesPort, () =>
      startLocalSes({
        outboxDir,
        port: settings.sesPort,
        log,
        beforeCommit: () => {
          faults.faultPoint('while-emailing');
          emails.sent++;
        },
      }),
    );
    closers.unshift(ses.close);
    const s3 = await startLocalS3({
      dataDir: settings.dataDir,
      buckets: [LOCAL_AUDIT_BUCKET, LOCAL_EXPORTS_BUCKET],
      server: s3Endpoint.server,
      credentials: localCredentials,
      log,
    });
    closers.unshift(s3.close);
    const stepFunctionsUrl = `http://127.0.0.1:${stepFunctionsEndpoint.port}`;
    const schedulerUrl = `http://127.0.0.1:${schedulerEndpoint.port}`;
    const s3Url = `http://127.0.0.1:${s3Endpoint.port}`;
    const lambdaUrl = `http://127.0.0.1:${lambdaEndpoint.port}`;

    Object.assign(process.env, {
      TOLLGATE_LOCAL: 'true',
      TABLE_NAME: LOCAL_TABLE_NAME,
      CALLER_CLAIM: 'sub',
      SIGNING_SECRET: secrets.signingSecret,
      ...Object.fromEntries(
        stateMachines.map((machine) => [
          machine.arnSetting,
          `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machine.name}`,
        ]),
      ),
      GRANT_SCHEDULER_ROLE_ARN: localGrantSchedules.roleArn,
      GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN: localGrantSchedules.deadLetterQueueArn,
      SENDER_ADDRESS: 'Tollgate <tollgate@example.com>',
      // The demo auditor reads the weekly report in the outbox.
      ANALYTICS_RECIPIENTS: process.env.ANALYTICS_RECIPIENTS ?? 'aude.audit@example.com',
      PUBLIC_BASE_URL: url,
      OIDC_ISSUER: openIdUrl,
      OIDC_CLIENT_ID: LOCAL_CONSOLE_CLIENT_ID,
      EXPORTS_BUCKET: LOCAL_EXPORTS_BUCKET,
      TIME_SCALE: String(settings.timeScale),
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_SFN: stepFunctionsUrl,
      AWS_ENDPOINT_URL_SESV2: ses.url,
      AWS_ENDPOINT_URL_SCHEDULER: schedulerUrl,
      AWS_ENDPOINT_URL_S3: s3Url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
      // A write with new outbound events asks the dispatcher at once, through the local Lambda endpoint.
      WEBHOOK_DISPATCHER_FUNCTION: localFunctionName(WEBHOOK_DISPATCH),
      // The demo's subscriber is `npm run webhook -- listen` too: it prints every ticket event.
      WEBHOOK_SUBSCRIBERS:
        process.env.WEBHOOK_SUBSCRIBERS ??
        JSON.stringify([
          { name: 'demo', url: `http://127.0.0.1:${DEFAULT_LISTEN_PORT}/`, events: [...outboundEventTypes] },
        ]),
      // The demo's provisioning integration is `npm run webhook -- listen`, unless set otherwise.
      WEBHOOK_TARGETS:
        process.env.WEBHOOK_TARGETS ??
        JSON.stringify({ provisioning: `http://127.0.0.1:${DEFAULT_LISTEN_PORT}/` }),
      AUDIT_BUCKET: LOCAL_AUDIT_BUCKET,
      AUDIT_SIGNING_KEY_FILE: loadOrCreateAuditKey(settings.dataDir),
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? (settings.quiet ? 'ERROR' : 'INFO'),
    });
    // The handlers read their settings at their first call; reading them here makes a bad one (such
    // as ADMIN_DEFAULT_MAX_DURATION) stop `npm start` instead of failing requests later.
    const config = readConfig(process.env);
    // Each subscriber signs with a secret of its own, made here on its first start.
    secretsManager.ensure(config.subscribers.map(subscriberSecretId));
    // Likewise the policies: a set Cedar refuses stops `npm start` naming the policy, file, line and problem.
    getPolicyDeps();

    const directory = new DynamoDirectory(createDocumentClient(), LOCAL_TABLE_NAME);
    const seeded = await seedIfEmpty(directory);
    startLocalOpenIdProvider({
      server: openIdEndpoint.server,
      issuer: openIdUrl,
      consoleUrl: url,
      signingKey: secrets.jwtPrivateKey,
      cookieSecret: secrets.signingSecret,
      identities: () => directory.allIdentities(),
    });
    const demoHistory =
      seeded && settings.demoHistory ? await seedHistory(getPolicyDeps().policies.baseline, log) : null;

    const invokeWorkflowTask = counted(await workflowInvoker(running, pool), () => lambda.workflow++);
    const stepFunctions = await startLocalStepFunctions({
      dataDir: settings.dataDir,
      port: stepFunctionsEndpoint.server,
      region: REGION,
      log,
      stateMachines: stateMachines.map((machine) => ({
        name: machine.name,
        definitionPath: new URL(machine.definitionFile, ROOT).pathname,
        substitutions: Object.fromEntries(
          workflowTasks.map((task) => [task.placeholder, localFunctionArn(task.name)]),
        ),
      })),
      invokeLambda: invokeWorkflowTask,
    });
    // Halted executions stop waiting for their task, but the handler runs on: let it finish its
    // writes before SES and DynamoDB close under it.
    closers.unshift(() => running.settle());
    closers.unshift(stepFunctions.close);

    // Schedules fire through the Step Functions API, as Scheduler's target does in AWS.
    const sfn = new SFNClient({ endpoint: stepFunctionsUrl, region: REGION, credentials: localCredentials });
    const schedulerService = await startLocalSchedulerService({
      dataDir: settings.dataDir,
      port: schedulerEndpoint.server,
      region: REGION,
      log,
      startExecution: async ({ stateMachineArn, name, input }) => {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      },
    });
    // Closed before Step Functions, so no schedule fires into a closed service.
    closers.unshift(schedulerService.close);

    const scheduler = await startScheduler({
      timeScale: settings.timeScale,
      stateFile: join(settings.dataDir, 'scheduler.json'),
      log,
      schedules: await Promise.all(
        configuredSchedules(settings.weeklyReport).map(async (schedule) => ({
          schedule,
          job: counted(await loadJob(schedule.handler, running), () => lambda.scheduled++),
        })),
      ),
    });
    closers.unshift(scheduler.stop);

    // Each schedule's function may also be invoked directly, as the stack lets a write invoke the
    // dispatcher. Beside the workflow pool, not in it: a dispatcher run is a few store calls and one
    // POST, and queued behind the workflow steps of a busy minute it would hold each event for seconds.
    const invocable = new Map<string, LocalInvocable>();
    for (const schedule of configuredSchedules(settings.weeklyReport)) {
      invocable.set(
        localFunctionName(schedule.name),
        counted(await loadJob(schedule.handler, running), () => lambda.invoked++),
      );
    }
    const lambdaService = await startLocalLambda({
      server: lambdaEndpoint.server,
      functions: invocable,
      region: REGION,
      account: ACCOUNT,
      log,
    });
    closers.unshift(lambdaService.close);

    const endpoints = {
      dynamodb: dynamo.url,
      stepfunctions: stepFunctionsUrl,
      ses: ses.url,
      scheduler: schedulerUrl,
      s3: s3Url,
      openid: openIdUrl,
      secretsmanager: secretsManager.url,
      lambda: lambdaUrl,
    };
    const auth = await createLocalAuth(secrets.jwtPrivateKey);
    const metrics = (): LocalMetrics => ({
      dynamodb: { ...dynamo.counts.operations },
      dynamodbBatchWriteItems: dynamo.counts.batchWriteItems,
      dynamodbWriteUnits: { ...dynamo.counts.writeUnits },
      stepfunctions: { ...stepFunctions.counts },
      lambda: { ...lambda },
      ses: { emails: emails.sent },
    });
    const devRoutes = createDevRoutes({ auth, directory, outboxDir, endpoints, scheduler, metrics });
    const served = await Promise.all(
      routes.map(async (route): Promise<ServedRoute> => {
        const handler = await loadHandler(route.handler, devRoutes);
        // The /dev/* routes are local helpers, not Lambda functions of the stack.
        return {
          route,
          handler: route.localOnly ? handler : pool.api(counted(handler, () => lambda.http++)),
        };
      }),
    );
    const http = await startHttpServer({ server: gateway.server, routes: served, auth, log });
    closers.unshift(http.close);

    return {
      url,
      endpoints,
      outboxDir,
      webhookSecretsFile: secretsManager.file,
      seeded,
      demoHistory,
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/**
 * The demo history on a first start, with a progress bar on a terminal (a line at each quarter
 * otherwise), and the analytics rollups its days would have had from the schedules, so the
 * dashboard, which reads rollups alone, shows it at once.
 */
async function seedHistory(
  baseline: Parameters<typeof seedDemoHistory>[1],
  log: (line: string) => void,
): Promise<{ tickets: number }> {
  const db = createDocumentClient();
  const bar = process.stderr.isTTY
    ? new SingleBar(
        { format: 'Seeding the demo history [{bar}] {value}/{total}', stream: process.stderr },
        Presets.shades_classic,
      )
    : null;
  let quarter = 0;
  const seeded = await seedDemoHistory(
    {
      tickets: new DynamoTicketStore(db, LOCAL_TABLE_NAME),
      grants: new DynamoGrantStore(db, LOCAL_TABLE_NAME),
      snapshots: new DynamoSnapshotStore(db, LOCAL_TABLE_NAME),
    },
    baseline,
    Date.now(),
    (done, total) => {
      if (bar) {
        if (done === 1) bar.start(total, 0);
        bar.update(done);
      } else if (done >= ((quarter + 1) * total) / 4) {
        quarter++;
        log(`Seeding the demo history: ${done} of ${total} items written`);
      }
    },
  );
  bar?.stop();
  const rollups = localRollupDeps(db);
  const today = new Date().toISOString().slice(0, 10);
  const firstDay = new Date(Date.now() - DEMO_HISTORY.days * 86_400_000).toISOString().slice(0, 10);
  for (const day of daysOf(firstDay, today)) await rollupDay(rollups, day);
  return seeded;
}

/** The same function, counting each call: a call here is an invocation of a Lambda function in AWS. */
function counted<A extends unknown[], R>(fn: (...args: A) => R, count: () => void): (...args: A) => R {
  return (...args) => {
    count();
    return fn(...args);
  };
}

/**
 * Stands in for Lambda's invoke: the ARN the ASL names picks the handler module, as in AWS, and the
 * task's timeout in functions/workflow.ts (the one the stack gives its function) fails a hung step
 * with Sandbox.Timedout, as Lambda does.
 */
async function workflowInvoker(running: RunningJobs, pool: WorkflowPool) {
  const functions = new Map<string, LocalFunction>();
  for (const task of workflowTasks) {
    functions.set(localFunctionArn(task.name), {
      run: await loadHandlerCall(task.handler),
      timeoutSeconds: task.timeoutSeconds,
    });
  }
  return localLambdaInvoker(functions, pool, (invocation) => running.track(invocation));
}

async function loadJob(
  handlerPath: string,
  running: RunningJobs,
): Promise<(event: unknown) => Promise<unknown>> {
  const call = await loadHandlerCall(handlerPath);
  return (event) => running.track(call(event));
}

async function loadHandlerCall(handlerPath: string): Promise<(event: unknown) => Promise<unknown>> {
  const handler = await importHandler<(event: unknown, context: Context) => Promise<unknown>>(handlerPath);
  return (event) => handler(event, { awsRequestId: crypto.randomUUID() } as Context);
}

/** Workflow and schedule handler runs in progress, so closing can wait for them. */
class RunningJobs {
  private readonly jobs = new Set<Promise<unknown>>();

  track<T>(job: Promise<T>): Promise<T> {
    this.jobs.add(job);
    job.then(
      () => this.jobs.delete(job),
      () => this.jobs.delete(job),
    );
    return job;
  }

  async settle(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs]);
  }
}

async function loadHandler(reference: string, devRoutes: Record<string, HttpHandler>): Promise<HttpHandler> {
  const [module, name] = reference.split('#');
  if (module === 'local/dev-routes') {
    const handler = devRoutes[name ?? ''];
    if (!handler) throw new Error(`No local route ${reference}`);
    return handler;
  }
  return importHandler<HttpHandler>(module ?? reference);
}

async function importHandler<T>(module: string): Promise<T> {
  // A computed URL, not a template: bundlers (vite, under vitest) only expand `import(`./${x}`)` one folder deep.
  const url = new URL(`../handlers/${module}.ts`, import.meta.url).href;
  const loaded = (await import(/* @vite-ignore */ url)) as { handler?: T };
  if (typeof loaded.handler !== 'function')
    throw new Error(`functions/handlers/${module}.ts exports no handler`);
  return loaded.handler;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function closeAll(closers: (() => Promise<void> | void)[]): Promise<void> {
  for (const close of closers) await close();
}
