import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { schedules } from '../../functions/schedules';
import { workflowTasks } from '../../functions/workflow';
import { synth } from './synth';

const run = promisify(execFile);

/** Imports the bundle as Lambda's Node runtime would, and fails unless it exports the handler the template names. */
const IMPORT_BUNDLE = `
const [, file, exportName] = process.argv;
const loaded = await import(file);
if (typeof loaded[exportName] !== 'function') throw new Error('The bundle exports no function ' + exportName);
`;

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
    Object.entries(fn.Properties.Environment.Variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `dummy-${name.toLowerCase()}`,
    ]),
  );

describe('the Lambda bundles', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'tollgate-bundles-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('each load in a clean Node process with the environment of its function, reading the signing secret: API, workflow task and schedule functions alike', async () => {
    // Prepare
    const { stacks } = synth({ asTheCli: true, outdir });
    const template = JSON.parse(readFileSync(join(outdir, 'Tollgate-Stateless.template.json'), 'utf8'));
    const assets = JSON.parse(readFileSync(join(outdir, 'Tollgate-Stateless.assets.json'), 'utf8'));
    const functions = Object.entries(template.Resources as Record<string, LambdaFunction>).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function',
    );
    const secretsManager = await startSecretsManager();

    // Act
    const outcomes = await Promise.all(
      functions.map(async ([logicalId, fn]) => {
        const folder = join(outdir, assets.files[fn.Properties.Code.S3Key.replace(/\.zip$/, '')].source.path);
        const [file, exportName] = fn.Properties.Handler.split('.') as [string, string];
        try {
          await run(
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
                AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
                AWS_SECRET_ACCESS_KEY: 'example',
                AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
              },
            },
          );
          return { logicalId, failure: null };
        } catch (error) {
          return { logicalId, failure: (error as { stderr?: string }).stderr || String(error) };
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
    expect(secretsManager.read).toEqual(functions.map(() => 'dummy-signing_secret_arn'));
  }, 180_000);
});
