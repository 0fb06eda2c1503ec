import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type AttributeValue, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { CfnElement } from 'aws-cdk-lib';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_CHARTS, CHART_ASSETS } from '../../functions/adapters/charts/assets';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { table as schema } from '../../functions/adapters/dynamodb/table';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { expiryExecutionName } from '../../functions/domain/revocation';
import { pendingApproval } from '../../functions/domain/routing';
import type { Ticket } from '../../functions/domain/ticket';
import { browserChartsPath, ECHARTS_FILE } from '../../functions/handlers/pages/assets';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';
import { schedules } from '../../functions/schedules';
import { stateMachines, workflowTasks } from '../../functions/workflow';
import { CEDAR_PACKAGE, POLICY_FOLDER } from '../../lib/constructs/handler-function';
import { needsOf } from '../../lib/handler-needs';
import { people } from '../support/seed';
import { submittedTicket } from '../support/ticket-factory';
import { synth } from './synth';

const run = promisify(execFile);

/**
 * Imports the bundle as Lambda's Node runtime would, and fails unless it exports the handler the template names;
 * prints the CommonJS modules Node loaded from disk meanwhile (an ESM bundle inlines everything else).
 */
const IMPORT_BUNDLE = `
const [, file, exportName] = process.argv;
const loaded = await import(file);
if (typeof loaded[exportName] !== 'function') throw new Error('The bundle exports no function ' + exportName);
const { createRequire } = await import('node:module');
console.log('\\nTOLLGATE-COMMONJS ' + JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
`;

/** Where a function that decides by policy loads Cedar from: the node module installed in its asset. */
const CEDAR_MODULE = join('node_modules', CEDAR_PACKAGE, 'nodejs', 'cedar_wasm.js');
const CEDAR_WASM = join('node_modules', CEDAR_PACKAGE, 'nodejs', 'cedar_wasm_bg.wasm');

/** Every file under a folder, by its path in it. */
const filesIn = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((path) =>
    statSync(join(folder, path)).isFile(),
  );

/** What a function's asset (its deployment package, unzipped) weighs. */
const bytesOf = (folder: string): number =>
  filesIn(folder).reduce((total, path) => total + statSync(join(folder, path)).size, 0);

/** The project's policies/ folder: what each function that decides by policy must carry as it is. */
const PROJECT_POLICIES = new URL(`../../${POLICY_FOLDER}/`, import.meta.url);

interface LambdaFunction {
  Type: string;
  Properties: {
    Handler: string;
    Code: { S3Key: string };
    Environment: { Variables: Record<string, unknown> };
  };
}

/** A stand-in for Secrets Manager's GetSecretValue, recording which secrets were read. */
async function startSecretsManager(): Promise<{ url: string; read: string[]; server: Server }> {
  const read: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        response.writeHead(400).end();
        return;
      }
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      read.push(SecretId);
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(
          JSON.stringify({ ARN: SecretId, Name: 'signing', SecretString: 's'.repeat(64), VersionId: 'v1' }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, read, server };
}

/** The function's environment as the template gives it, with a stand-in where CloudFormation would fill a value in. */
const environmentOf = (fn: LambdaFunction): Record<string, string> =>
  Object.fromEntries(
    Object.entries(fn.Properties.Environment.Variables).map(([name, value]) => {
      const dummy = `dummy-${name.toLowerCase()}`;
      if (typeof value === 'string') return [name, value];
      // A value built around references (JSON naming secrets' ARNs) keeps its text, each reference a dummy.
      const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) return [name, join[1].map((part) => (typeof part === 'string' ? part : dummy)).join(join[0])];
      return [name, dummy];
    }),
  );

/**
 * Calls the bundle's handler once as Lambda's Node.js runtime would, and prints what the runtime reports to
 * Step Functions: the `errorType` of a thrown error is its `name` (aws-lambda-nodejs-runtime-interface-client,
 * Errors.js `toRapidResponse`), and Step Functions matches `ErrorEquals` against that error type.
 */
const INVOKE_BUNDLE = `
const [, file, exportName, event] = process.argv;
const handler = (await import(file))[exportName];
const context = {
  awsRequestId: 'request-1',
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  getRemainingTimeInMillis: () => 10000,
};
let answer;
try {
  const result = await handler(JSON.parse(event), context);
  answer = { errorType: 'none', statusCode: result?.statusCode };
} catch (error) {
  answer = { errorType: error.name, errorMessage: error.message };
}
console.log('\\nTOLLGATE-ANSWER ' + JSON.stringify(answer));
`;

interface Bundle {
  logicalId: string;
  resource: LambdaFunction;
  folder: string;
  file: string;
  exportName: string;
}

/** What one invocation came to: the error type Lambda would report, and an HTTP handler's status code. */
interface Answer {
  errorType: string;
  statusCode?: number;
  /** Compared where the expectation names it: an error's name alone can be the same for two causes. */
  errorMessage?: unknown;
}

/**
 * Runs the bundle's handler on the event in a clean Node process, in its asset folder, which is LAMBDA_TASK_ROOT
 * as in Lambda unless `environment` says otherwise; answers what Lambda would report.
 */
async function invokeBundle(
  bundle: Bundle,
  event: unknown,
  environment: Record<string, string>,
): Promise<Answer> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '--eval', INVOKE_BUNDLE, bundle.file, bundle.exportName, JSON.stringify(event)],
    {
      cwd: bundle.folder,
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        ...environmentOf(bundle.resource),
        AWS_LAMBDA_FUNCTION_NAME: bundle.logicalId,
        LAMBDA_TASK_ROOT: bundle.folder,
        ...environment,
      },
    },
  );
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('TOLLGATE-ANSWER '));
  if (!line) throw new Error(`${bundle.logicalId} printed no answer:\n${stdout}`);
  const { errorType, statusCode, errorMessage } = JSON.parse(line.slice('TOLLGATE-ANSWER '.length)) as Answer;
  if (statusCode !== undefined) return { errorType, statusCode };
  return errorMessage === undefined ? { errorType } : { errorType, errorMessage };
}

/**
 * The error names each workflow task's states retry or catch by name (not the `States.*`, `Lambda.*` and
 * `Sandbox.*` names that Step Functions and Lambda give), by the handler module of the task each state invokes.
 */
function errorNamesMatchedByTask(): Map<string, Set<string>> {
  const byHandler = new Map<string, Set<string>>();
  for (const machine of stateMachines) {
    const definition = JSON.parse(
      readFileSync(new URL(`../../${machine.definitionFile}`, import.meta.url), 'utf8'),
    ) as { States: Record<string, AslState> };
    for (const state of Object.values(definition.States)) {
      const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Parameters?.FunctionName ?? ''))?.[1];
      const task = workflowTasks.find((candidate) => candidate.placeholder === placeholder);
      if (!task) continue;
      const names = byHandler.get(task.handler) ?? new Set<string>();
      for (const matcher of [...(state.Retry ?? []), ...(state.Catch ?? [])]) {
        for (const name of matcher.ErrorEquals) {
          if (!/^(States|Lambda|Sandbox)\./.test(name)) names.add(name);
        }
      }
      byHandler.set(task.handler, names);
    }
  }
  return byHandler;
}

interface AslState {
  Parameters?: { FunctionName?: string };
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
}

/** What CloudFormation fills in for a function, for the values the template leaves to it; and stand-in credentials. */
const filledInByCloudFormation = {
  TABLE_NAME: LOCAL_TABLE_NAME,
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Tollgate-Stateless-access-request',
  POLICY_SIMULATION_STATE_MACHINE_ARN:
    'arn:aws:states:eu-west-1:123456789012:stateMachine:Tollgate-Stateless-policy-simulation',
  REVOCATION_STATE_MACHINE_ARN:
    'arn:aws:states:eu-west-1:123456789012:stateMachine:Tollgate-Stateless-grant-revocation',
  AUDIT_EXPORT_STATE_MACHINE_ARN:
    'arn:aws:states:eu-west-1:123456789012:stateMachine:Tollgate-Stateless-audit-export',
  GRANT_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/Tollgate-Stateless-GrantSchedulesRole-ABC123',
  GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN:
    'arn:aws:sqs:eu-west-1:123456789012:Tollgate-Stateless-GrantSchedulesDeadLetterQueue-ABC123',
  EXPORTS_BUCKET: 'tollgate-stateless-auditexports-abc123',
  PUBLIC_BASE_URL: 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com',
  AUDIT_BUCKET: 'tollgate-stateful-auditcheckpoints-abc123',
  AUDIT_SIGNING_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example',
};

/** One way to make a task's own code throw an error: the event, and what the services answer meanwhile. */
interface WayToThrow {
  when: string;
  event: (ticketId: string) => unknown;
  /** Every conditional save of the ticket loses to another writer, which changes the ticket just before. */
  concurrentWriter?: boolean;
  environment?: Record<string, string>;
}

/** Local fault injection (functions/adapters/faults.ts): the only source of a TransientError in these tasks. */
const injectedFault = (task: string, event: (ticketId: string) => unknown): WayToThrow => ({
  when: `TOLLGATE_FAULTS fails the task ${task}`,
  event,
  environment: { TOLLGATE_LOCAL: 'true', TOLLGATE_FAULTS: `fail:task:${task}` },
});

const advanceEvent = (ticketId: string) => ({ ticketId, after: 'deadline' });
const recordFailureEvent = (ticketId: string) => ({
  ticketId,
  error: { Error: 'States.Timeout', Cause: '' },
});
/** A ticket whose time-bound grant ended a minute ago, its revocation not begun: what begin-revocation takes on. */
const grantDue: Ticket = (() => {
  const until = new Date(Date.now() - 60_000).toISOString();
  return submittedTicket({
    status: 'active',
    grant: { id: `G${ulid()}`, from: new Date(Date.now() - 3_600_000).toISOString(), until },
  });
})();
const beginRevocationEvent = () => {
  const { id, until } = grantDue.grant as { id: string; until: string };
  return { ticketId: grantDue.id, grantId: id, until, execution: expiryExecutionName(id, until) };
};
const notifyEvent = (ticketId: string) => ({
  ticketId,
  kind: 'approval',
  taskToken: 'token-1',
  stageIndex: 0,
});

/**
 * How each workflow task comes to throw each error its states match by name, through the task's own code; or why
 * it never does. A name the ASL starts matching for a task needs an entry here, or the test fails.
 */
const waysToThrow: Record<string, Record<string, WayToThrow | { never: string }>> = {
  'workflow/advance': {
    ConcurrentUpdateError: {
      when: 'another writer wins every save of the ticket',
      event: advanceEvent,
      concurrentWriter: true,
    },
    TransientError: injectedFault('advance', advanceEvent),
  },
  'workflow/record-failure': {
    ConcurrentUpdateError: {
      when: 'another writer wins every save of the ticket',
      event: recordFailureEvent,
      concurrentWriter: true,
    },
    TransientError: injectedFault('record-failure', recordFailureEvent),
  },
  'workflow/begin-revocation': {
    ConcurrentUpdateError: {
      when: 'another writer wins every save of the ticket whose grant is due',
      event: beginRevocationEvent,
      concurrentWriter: true,
    },
    TransientError: injectedFault('begin-revocation', beginRevocationEvent),
  },
  'workflow/simulate-page': {
    TransientError: injectedFault('simulate-page', () => ({ jobId: 'job-1' })),
  },
  'workflow/export-page': {
    TransientError: injectedFault('export-page', () => ({ jobId: 'job-1' })),
  },
  'workflow/simulation-failed': {
    TransientError: injectedFault('simulation-failed', () => ({
      jobId: 'job-1',
      error: { Error: 'States.Timeout', Cause: '' },
    })),
  },
  'workflow/notify': {
    TransientError: { when: 'SES throttles the email', event: notifyEvent },
    ConcurrentUpdateError: {
      never:
        'notify never saves the ticket: it reads it and writes the task, its assignments and the links, none of them on a version condition',
    },
  },
};

/**
 * For each handler that decides by policy, an invocation that goes no further than its deps (where policy-deps.ts
 * reads and compiles the policies/ folder, or fails the invocation) and what it answers once they are built. A
 * handler that starts deciding by policy needs an entry here, or the test fails.
 */
const firstInvocations: Record<string, { event: unknown; withPolicies: Answer; withoutPolicies: Answer }> = {
  // The deps, then the caller, whom an event without the authorizer's claims does not name.
  'http/submit-request': {
    event: { requestContext: { requestId: 'request-1' }, headers: {} },
    withPolicies: { errorType: 'none', statusCode: 401 },
    withoutPolicies: { errorType: 'none', statusCode: 500 },
  },
  // The policy routes and extensions: the deps, then the caller, as for intake.
  ...Object.fromEntries(
    [
      'http/get-policies',
      'http/get-policy-version',
      'http/put-policies',
      'http/start-policy-simulation',
      'http/extend-grant',
    ].map((handler) => [
      handler,
      {
        event: { requestContext: { requestId: 'request-1' }, headers: {} },
        withPolicies: { errorType: 'none', statusCode: 401 },
        withoutPolicies: { errorType: 'none', statusCode: 500 },
      },
    ]),
  ),
  // The deps, then the body, which the event lacks: not JSON.
  'http/receive-webhook': {
    event: { requestContext: { requestId: 'request-1', http: { method: 'POST' } }, headers: {} },
    withPolicies: { errorType: 'none', statusCode: 415 },
    withoutPolicies: { errorType: 'none', statusCode: 500 },
  },
  // The deps, then the link, which the event does not name: its page answers 404.
  'http/link-page': {
    event: { requestContext: { requestId: 'request-1', http: { method: 'GET' } }, headers: {} },
    withPolicies: { errorType: 'none', statusCode: 404 },
    withoutPolicies: { errorType: 'none', statusCode: 500 },
  },
  // The console pages that preview or change policy: the deps, then the session, which the event lacks: 303 to sign-in.
  ...Object.fromEntries(
    ['pages/catalog', 'pages/my-requests', 'pages/admin', 'pages/admin-policies'].map((handler) => [
      handler,
      {
        event: { requestContext: { requestId: 'request-1', http: { method: 'GET' } }, headers: {} },
        withPolicies: { errorType: 'none', statusCode: 303 },
        withoutPolicies: { errorType: 'none', statusCode: 500 },
      },
    ]),
  ),
  // The deps, then the week's report, which reads the table, where the test gives no endpoint that answers.
  'scheduled/weekly-report': {
    event: {},
    withPolicies: { errorType: 'Error', errorMessage: expect.not.stringMatching(/polic/i) },
    withoutPolicies: { errorType: 'Error', errorMessage: expect.stringMatching(/polic/i) },
  },
  // The deps, then the payload, which names no job.
  'workflow/simulate-page': {
    event: {},
    withPolicies: { errorType: 'InvalidTaskInputError' },
    withoutPolicies: { errorType: 'Error' },
  },
  // The deps, then the payload, which names no ticket.
  'workflow/advance': {
    event: {},
    withPolicies: { errorType: 'InvalidTaskInputError' },
    withoutPolicies: { errorType: 'Error' },
  },
};

/** An expected answer as compared: an error whose message the expectation leaves open has one all the same. */
const expectedAnswer = (answer: Answer | undefined): Answer | undefined =>
  answer && answer.errorType !== 'none' && answer.errorMessage === undefined
    ? { ...answer, errorMessage: expect.any(String) }
    : answer;

/** A ticket whose first approval stage is open, waiting for Erin. */
function ticketWaitingForApproval(): Ticket {
  return submittedTicket({
    status: 'pending_approval',
    approvals: [
      {
        ...pendingApproval({ stage: 'manager', candidates: [people.erin], path: [people.erin] }),
        // Its reminder is due, so an advance at a deadline saves the ticket (and can lose the save).
        reminderAt: new Date(Date.now() - 1000).toISOString(),
        escalationAt: new Date(Date.now() + 43_200_000).toISOString(),
        deadline: new Date(Date.now() + 86_400_000).toISOString(),
      },
    ],
  });
}

/**
 * What the bundles reach instead of AWS: the embedded DynamoDB (behind a proxy that can play a concurrent
 * writer), an SESv2 endpoint that throttles every send, and Secrets Manager for the signing secret.
 */
async function startStandIns() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bundle-errors-'));
  const dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: 'eu-west-1',
    credentials: localCredentials,
  });
  let concurrentWriter = false;
  const proxy = await listen(async (request, body, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const input = JSON.parse(body || '{}') as {
      Item?: Record<string, unknown>;
      ConditionExpression?: string;
    };
    if (concurrentWriter && target.endsWith('.PutItem') && input.ConditionExpression?.includes('#version')) {
      // Someone else saves the ticket first, so the save read at the old version loses, as in DynamoDB.
      await client.send(
        new UpdateItemCommand({
          TableName: LOCAL_TABLE_NAME,
          Key: {
            [schema.partitionKey]: input.Item?.[schema.partitionKey] as AttributeValue,
            [schema.sortKey]: input.Item?.[schema.sortKey] as AttributeValue,
          },
          UpdateExpression: 'SET #version = #version + :one',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      );
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === 'string' && !/^(host|content-length)$/.test(entry[0]),
      ),
    );
    const answer = await fetch(dynamo.url, { method: 'POST', headers, body });
    response
      .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
      .end(await answer.text());
  });
  const ses = await listen(async (_request, _body, response) => {
    response
      .writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' })
      .end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
  });
  const secretsManager = await startSecretsManager();
  return {
    putTicket: (ticket: Ticket) =>
      new DynamoTicketStore(createDocumentClient(client), LOCAL_TABLE_NAME).create(ticket),
    environment(way: WayToThrow): Record<string, string> {
      concurrentWriter = way.concurrentWriter === true;
      return {
        ...filledInByCloudFormation,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
        AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
        AWS_ENDPOINT_URL_SESV2: ses.url,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        ...way.environment,
      };
    },
    async close() {
      client.destroy();
      for (const server of [proxy.server, ses.server, secretsManager.server]) server.close();
      await dynamo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A local HTTP server answering each request, with its body read, through `answer`. */
async function listen(
  answer: (request: IncomingMessage, body: string, response: ServerResponse) => Promise<void>,
): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      answer(request, body, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * Bundling every function (one esbuild run each, 30 and more) takes about a minute on a quiet
 * 2-core machine and three beside the rest of the suite: a bound on a hang, not a speed test.
 */
const BUNDLING_MS = 300_000;

describe('the Lambda bundles', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'tollgate-bundles-'));
  let synthesized: ReturnType<typeof synth>;
  let template: { Resources: Record<string, LambdaFunction> };
  let assets: { files: Record<string, { source: { path: string } }> };
  beforeAll(() => {
    synthesized = synth({ asTheCli: true, outdir });
    template = JSON.parse(readFileSync(join(outdir, 'Tollgate-Stateless.template.json'), 'utf8'));
    assets = JSON.parse(readFileSync(join(outdir, 'Tollgate-Stateless.assets.json'), 'utf8'));
  }, BUNDLING_MS);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** The function of a handler module as the template has it: its logical id, bundle folder and handler export. */
  const bundleOf = (handler: string) => {
    const fn = synthesized.stacks.stateless.functions.get(handler)?.function.node.defaultChild as CfnElement;
    const logicalId = synthesized.stacks.stateless.getLogicalId(fn);
    const resource = template.Resources[logicalId] as LambdaFunction;
    const folder = join(
      outdir,
      assets.files[resource.Properties.Code.S3Key.replace(/\.zip$/, '')]?.source.path ?? '',
    );
    const [file, exportName] = resource.Properties.Handler.split('.') as [string, string];
    return { logicalId, resource, folder, file: pathToFileURL(join(folder, `${file}.mjs`)).href, exportName };
  };

  it(
    'each load in a clean Node process with the environment of its function, reading the signing secret: API, workflow task and schedule functions alike',
    async () => {
      // Prepare
      const { stacks } = synthesized;
      const functions = Object.entries(template.Resources).filter(
        ([, resource]) => resource.Type === 'AWS::Lambda::Function',
      );
      const secretsManager = await startSecretsManager();

      // Act
      const outcomes = await Promise.all(
        functions.map(async ([logicalId, fn]) => {
          const folder = join(
            outdir,
            assets.files[fn.Properties.Code.S3Key.replace(/\.zip$/, '')]?.source.path ?? '',
          );
          const [file, exportName] = fn.Properties.Handler.split('.') as [string, string];
          try {
            const { stdout } = await run(
              process.execPath,
              [
                '--input-type=module',
                '--eval',
                IMPORT_BUNDLE,
                pathToFileURL(join(folder, `${file}.mjs`)).href,
                exportName,
              ],
              {
                cwd: folder,
                timeout: 30_000,
                // Only what the template and the Lambda runtime give: nothing leaks in from this process.
                env: {
                  PATH: process.env.PATH,
                  ...environmentOf(fn),
                  AWS_REGION: 'eu-west-1',
                  AWS_LAMBDA_FUNCTION_NAME: logicalId,
                  LAMBDA_TASK_ROOT: folder,
                  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
                  AWS_SECRET_ACCESS_KEY: 'example',
                  AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
                },
              },
            );
            const line = stdout.split('\n').find((candidate) => candidate.startsWith('TOLLGATE-COMMONJS '));
            const commonJs = JSON.parse(line?.slice('TOLLGATE-COMMONJS '.length) ?? 'null') as
              | string[]
              | null;
            return { logicalId, folder, failure: null, commonJs };
          } catch (error) {
            return { logicalId, folder, failure: (error as { stderr?: string }).stderr || String(error) };
          }
        }),
      );
      secretsManager.server.close();

      // Assess
      const loaded = functions.map(([logicalId]) => logicalId);
      for (const handler of [
        ...workflowTasks.map((task) => task.handler),
        ...schedules.map((s) => s.handler),
      ]) {
        const fn = stacks.stateless.functions.get(handler)?.function.node.defaultChild as CfnElement;
        expect(loaded, handler).toContain(stacks.stateless.getLogicalId(fn));
      }
      expect(functions).toHaveLength(stacks.stateless.functions.size);
      expect(outcomes.filter((outcome) => outcome.failure)).toEqual([]);
      // Every function reads it at load but the console's static assets, which are not given it.
      const handlers = [...stacks.stateless.functions.keys()];
      expect(handlers.filter((handler) => !needsOf(handler).signingSecret)).toEqual(['pages/assets']);
      expect(secretsManager.read).toEqual(
        handlers.filter((handler) => needsOf(handler).signingSecret).map(() => 'dummy-signing_secret_arn'),
      );
      // Cedar, from the function's own asset, is the one module Node loads besides the bundle, and only where the
      // handler decides by policy.
      const deciding = new Set(
        [...stacks.stateless.functions]
          .filter(([handler]) => needsOf(handler).policies)
          .map(([, fn]) => stacks.stateless.getLogicalId(fn.function.node.defaultChild as CfnElement)),
      );
      expect(deciding.size).toBeGreaterThan(0);
      expect(Object.fromEntries(outcomes.map((outcome) => [outcome.logicalId, outcome.commonJs]))).toEqual(
        Object.fromEntries(
          outcomes.map(({ logicalId, folder }) => [
            logicalId,
            deciding.has(logicalId) ? [join(realpathSync(folder), CEDAR_MODULE)] : [],
          ]),
        ),
      );
    },
    BUNDLING_MS,
  );

  it('carry Cedar and the policies/ folder where the handler decides by policy, and neither elsewhere', () => {
    // Prepare
    const handlers = [...synthesized.stacks.stateless.functions.keys()];
    const policyFiles = readdirSync(PROJECT_POLICIES).sort();
    const cedarVersion = (
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        dependencies: Record<string, string>;
      }
    ).dependencies[CEDAR_PACKAGE];

    // Act
    const carried = Object.fromEntries(
      handlers.map((handler) => {
        const { folder } = bundleOf(handler);
        const files = filesIn(folder);
        const manifest = join('node_modules', CEDAR_PACKAGE, 'package.json');
        const installed = files.includes(manifest)
          ? (JSON.parse(readFileSync(join(folder, manifest), 'utf8')) as { version: string }).version
          : 'none';
        return [
          handler,
          {
            cedar: installed,
            wasm: files.filter((path) => path.endsWith('.wasm')),
            fonts: files.filter((path) => path.endsWith('.ttf')),
            browserCharts: files.filter((path) => path.startsWith(`${BROWSER_CHARTS.folder}${sep}`)),
            policies: files
              .filter((path) => path.startsWith(`${POLICY_FOLDER}${sep}`))
              .map((path) => path.slice(POLICY_FOLDER.length + 1))
              .sort(),
            policiesAsInTheProject: files
              .filter((path) => path.startsWith(`${POLICY_FOLDER}${sep}`))
              .every(
                (path) =>
                  readFileSync(join(folder, path), 'utf8') ===
                  readFileSync(new URL(path.slice(POLICY_FOLDER.length + 1), PROJECT_POLICIES), 'utf8'),
              ),
            bytes: bytesOf(folder),
          },
        ];
      }),
    );

    // Assess
    const deciding = handlers.filter((handler) => needsOf(handler).policies);
    // The flag follows the code: the handler modules that take their deps from policy-deps.ts.
    expect(deciding).toEqual(
      handlers.filter((handler) =>
        /from '\.\.\/policy-deps'/.test(
          readFileSync(new URL(`../../functions/handlers/${handler}.ts`, import.meta.url), 'utf8'),
        ),
      ),
    );
    expect(deciding.length).toBeGreaterThan(0);
    expect(policyFiles).toContain('schema.cedarschema');
    // A function that draws charts carries the resvg wasm and the Inter font in charts/, and no other does.
    const drawing = handlers.filter((handler) => needsOf(handler).charts);
    const chartFile = (file: keyof typeof CHART_ASSETS.files) =>
      join(CHART_ASSETS.folder, CHART_ASSETS.files[file].name);
    for (const handler of handlers) {
      const { bytes, wasm, fonts, browserCharts, ...carries } = carried[handler] as {
        bytes: number;
        wasm: string[];
        fonts: string[];
        browserCharts: string[];
      };
      const draws = drawing.includes(handler);
      expect(carries, handler).toEqual(
        deciding.includes(handler)
          ? { cedar: cedarVersion, policies: policyFiles, policiesAsInTheProject: true }
          : { cedar: 'none', policies: [], policiesAsInTheProject: true },
      );
      expect({ wasm: wasm.sort(), fonts }, handler).toEqual({
        wasm: [
          ...(deciding.includes(handler) ? [CEDAR_WASM] : []),
          ...(draws ? [chartFile('wasm')] : []),
        ].sort(),
        fonts: draws ? [chartFile('font')] : [],
      });
      // ECharts for the browser, in the console's assets function alone.
      expect(browserCharts, handler).toEqual(
        needsOf(handler).browserCharts ? [join(BROWSER_CHARTS.folder, BROWSER_CHARTS.name)] : [],
      );
    }
    expect(handlers.filter((handler) => needsOf(handler).browserCharts)).toEqual(['pages/assets']);
    expect(
      readFileSync(join(bundleOf('pages/assets').folder, BROWSER_CHARTS.folder, BROWSER_CHARTS.name)),
    ).toEqual(readFileSync(browserChartsPath(undefined)));
    // Cedar's 4.3 MB of wasm is most of what a deciding function deploys; the others but those that
    // draw charts stay at their bundle's size.
    const sizes = (chosen: string[]) =>
      chosen.map((handler) => (carried[handler] as { bytes: number }).bytes);
    expect(
      Math.max(
        ...sizes(handlers.filter((handler) => !deciding.includes(handler) && !drawing.includes(handler))),
      ),
    ).toBeLessThan(Math.min(...sizes(deciding)) / 2);
  });

  it(
    "serve ECharts to the console's browsers from the assets function's own asset",
    async () => {
      // Prepare
      const bundle = bundleOf('pages/assets');
      const elsewhere = mkdtempSync(join(tmpdir(), 'tollgate-no-echarts-'));
      const event = {
        requestContext: { requestId: 'request-1', http: { method: 'GET' } },
        headers: {},
        pathParameters: { file: ECHARTS_FILE },
      };

      // Act
      let beside: Answer;
      let without: Answer;
      try {
        beside = await invokeBundle(bundle, event, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
        // The control: the same bundle where LAMBDA_TASK_ROOT holds no console/ folder fails instead.
        without = await invokeBundle(bundle, event, {
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          LAMBDA_TASK_ROOT: elsewhere,
        });
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }

      // Assess
      expect(beside).toEqual({ errorType: 'none', statusCode: 200 });
      expect(without).toEqual({ errorType: 'Error', errorMessage: expect.stringContaining('ENOENT') });
    },
    BUNDLING_MS,
  );

  it(
    'decide by policy from their own asset: each deciding function compiles the policies/ beside its bundle at its first invocation',
    async () => {
      // Prepare
      const deciding = [...synthesized.stacks.stateless.functions.keys()].filter(
        (handler) => needsOf(handler).policies,
      );
      const secretsManager = await startSecretsManager();
      const elsewhere = mkdtempSync(join(tmpdir(), 'tollgate-no-policies-'));
      const environment = (taskRoot?: string): Record<string, string> => ({
        ...filledInByCloudFormation,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        ...(taskRoot ? { LAMBDA_TASK_ROOT: taskRoot } : {}),
      });

      // Act
      const answers: Record<string, { beside: Answer; without: Answer } | 'no first invocation'> = {};
      try {
        for (const handler of deciding) {
          const first = firstInvocations[handler];
          if (!first) {
            answers[handler] = 'no first invocation';
            continue;
          }
          answers[handler] = {
            beside: await invokeBundle(bundleOf(handler), first.event, environment()),
            // The control: the same bundle where LAMBDA_TASK_ROOT holds no policies/ fails instead.
            without: await invokeBundle(bundleOf(handler), first.event, environment(elsewhere)),
          };
        }
      } finally {
        secretsManager.server.close();
        rmSync(elsewhere, { recursive: true, force: true });
      }

      // Assess
      expect(answers).toEqual(
        Object.fromEntries(
          deciding.map((handler) => [
            handler,
            {
              beside: expectedAnswer(firstInvocations[handler]?.withPolicies),
              without: expectedAnswer(firstInvocations[handler]?.withoutPolicies),
            },
          ]),
        ),
      );
    },
    BUNDLING_MS,
  );

  it(
    'throw, from each workflow task bundle, every error its states retry or catch by name, under that name',
    async () => {
      // Prepare
      const matched = errorNamesMatchedByTask();
      const aws = await startStandIns();
      const ticket = ticketWaitingForApproval();
      await aws.putTicket(ticket);
      await aws.putTicket(grantDue);

      // Act
      const answers: Record<string, string> = {};
      const undriven: string[] = [];
      try {
        for (const task of workflowTasks) {
          for (const name of matched.get(task.handler) ?? []) {
            const way = waysToThrow[task.handler]?.[name];
            if (!way) undriven.push(`${name} from ${task.handler}`);
            if (!way || 'never' in way) continue;
            answers[`${task.handler} when ${way.when}`] = (
              await invokeBundle(bundleOf(task.handler), way.event(ticket.id), aws.environment(way))
            ).errorType;
          }
        }
      } finally {
        await aws.close();
      }

      // Assess
      expect(undriven).toEqual([]);
      expect(answers).toEqual(
        Object.fromEntries(
          workflowTasks.flatMap((task) =>
            [...(matched.get(task.handler) ?? [])].flatMap((name) => {
              const way = waysToThrow[task.handler]?.[name];
              return way && !('never' in way) ? [[`${task.handler} when ${way.when}`, name]] : [];
            }),
          ),
        ),
      );
      expect(Object.keys(answers).length).toBeGreaterThanOrEqual(workflowTasks.length);
    },
    BUNDLING_MS,
  );
});
