import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { App, type CfnElement } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { percentile, round } from './measure';
import type { Progress } from './progress';
import { describeRun, type RunStamp } from './report';

const run = promisify(execFile);

/** Fresh processes per bundle: the median is what a cold start's init phase pays, the max its spread. */
const IMPORTS_PER_BUNDLE = 10;

export interface BundleMeasurement {
  /** The handler module under functions/handlers. */
  handler: string;
  /** The bundle's `index.mjs`, minified, without its source map. */
  bytes: number;
  /** The same, gzipped: close to what the deployment package (a zip) holds for it. */
  gzipBytes: number;
  /**
   * Every file the function deploys but the source map: the bundle, and for a function that decides
   * by policy Cedar's node module (its 4.3 MB wasm) and the policies/ folder. Absent in results from
   * before the functions carried more than their bundle.
   */
  packageBytes?: number;
  /** The same, each file gzipped: close to the deployment package (a zip, each file deflated). */
  packageGzipBytes?: number;
  /** Milliseconds to import the bundle in a fresh `node`, over `imports` processes. */
  importP50: number;
  importMax: number;
  imports: number;
}

export interface BundleResults extends RunStamp {
  bundles: BundleMeasurement[];
}

/**
 * Imports the bundle as Lambda's Node runtime would in its init phase, and prints how long that took:
 * for a function that decides by policy, loading Cedar from its node_modules (which compiles the
 * wasm) is part of it; compiling the policies waits for the first invocation.
 */
const TIMED_IMPORT = `
const [, file] = process.argv;
const start = performance.now();
await import(file);
process.stdout.write(String(performance.now() - start));
`;

interface LambdaFunction {
  Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
}

/**
 * Synthesizes the app as `cdk synth` does (every function bundled by esbuild) into a temporary
 * folder, then imports each function's bundle in fresh `node` processes with the environment its
 * template gives it. Importing runs the bundle's top level as Lambda's init phase does, which
 * includes reading the signing secret (from a local stand-in for Secrets Manager here).
 */
export async function measureBundles(progress: Progress): Promise<BundleResults> {
  const outdir = mkdtempSync(join(tmpdir(), 'tollgate-bench-bundles-'));
  const secretsManager = await startSecretsManager();
  try {
    console.log('Synthesizing the app with every function bundled…');
    const { date, git, machine } = describeRun(fileURLToPath(new URL('..', import.meta.url)));
    const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8'));
    const app = new App({ outdir, context: { ...cdkJson.context, senderAddress: 'bench@example.org' } });
    const { stateless } = buildApp(app);
    app.synth();
    const template = readJson(join(outdir, `${stateless.stackName}.template.json`)) as {
      Resources: Record<string, LambdaFunction>;
    };
    const assets = readJson(join(outdir, `${stateless.stackName}.assets.json`)) as {
      files: Record<string, { source: { path: string } }>;
    };

    const bundles: BundleMeasurement[] = [];
    for (const [handler, fn] of stateless.functions) {
      const resource = template.Resources[
        stateless.getLogicalId(fn.function.node.defaultChild as CfnElement)
      ] as LambdaFunction;
      const asset = assets.files[resource.Properties.Code.S3Key.replace(/\.zip$/, '')];
      if (!asset) throw new Error(`No bundle for ${handler}`);
      const folder = join(outdir, asset.source.path);
      const file = join(folder, 'index.mjs');
      const code = readFileSync(file);
      const deployed = filesIn(folder).filter((path) => !path.endsWith('.map'));
      const environment = {
        PATH: process.env.PATH,
        ...Object.fromEntries(
          Object.entries(resource.Properties.Environment.Variables).map(([name, value]) => [
            name,
            typeof value === 'string' ? value : `dummy-${name.toLowerCase()}`,
          ]),
        ),
        AWS_REGION: 'eu-west-1',
        AWS_LAMBDA_FUNCTION_NAME: handler,
        LAMBDA_TASK_ROOT: folder,
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      };
      const times: number[] = [];
      for (let attempt = 1; attempt <= IMPORTS_PER_BUNDLE; attempt++) {
        progress.update(handler, attempt - 1, IMPORTS_PER_BUNDLE, 'importing');
        const { stdout } = await run(
          process.execPath,
          ['--input-type=module', '--eval', TIMED_IMPORT, pathToFileURL(file).href],
          { cwd: folder, env: environment, timeout: 30_000 },
        );
        times.push(Number(stdout));
      }
      const sorted = times.sort((a, b) => a - b);
      const measurement = {
        handler,
        bytes: statSync(file).size,
        gzipBytes: gzipSync(code).length,
        packageBytes: deployed.reduce((total, path) => total + statSync(join(folder, path)).size, 0),
        packageGzipBytes: deployed.reduce(
          (total, path) => total + gzipSync(readFileSync(join(folder, path))).length,
          0,
        ),
        importP50: round(percentile(sorted, 50)),
        importMax: round(sorted.at(-1) ?? 0),
        imports: IMPORTS_PER_BUNDLE,
      };
      bundles.push(measurement);
      progress.finish(
        `${handler}: ${kib(measurement.bytes)} KiB (${kib(measurement.gzipBytes)} KiB gzipped), deploys ${kib(measurement.packageBytes)} KiB (${kib(measurement.packageGzipBytes)} KiB gzipped), import p50 ${measurement.importP50} ms`,
      );
    }
    return { date, git, machine, bundles };
  } finally {
    secretsManager.server.close();
    rmSync(outdir, { recursive: true, force: true });
  }
}

const kib = (bytes: number): number => Math.round((bytes / 1024) * 10) / 10;

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** Every file under a folder, by its path in it. */
const filesIn = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((path) =>
    statSync(join(folder, path)).isFile(),
  );

/** A stand-in for Secrets Manager's GetSecretValue, which every bundle calls while it loads. */
async function startSecretsManager(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(
          JSON.stringify({ ARN: SecretId, Name: 'signing', SecretString: 's'.repeat(64), VersionId: 'v1' }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
