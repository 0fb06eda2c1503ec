import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ILogGroup, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BROWSER_CHARTS, CHART_ASSETS } from '../../functions/adapters/charts/assets';
import { LAMBDA_MEMORY_MB } from '../lambda-sizing';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A construct id for a handler module: `http/link-page` → `HttpLinkPage`. */
export const handlerId = (handler: string): string =>
  handler.replace(/(?:^|[-/])(\w)/g, (_match, letter: string) => letter.toUpperCase());

export interface HandlerFunctionProps {
  /** The module under functions/handlers, without extension (as the route table names it). */
  handler: string;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** A log group shared by the functions of one kind (each writes its own streams); its own otherwise. */
  logGroup?: ILogGroup;
  /** How long one invocation may run: 10 seconds unless the handler's kind needs longer. */
  timeout?: Duration;
  /**
   * Whether the handler decides by policy (lib/handler-needs.ts `policies`): its asset then carries
   * Cedar as a node module and the project's `policies/` folder. False unless given.
   */
  policies?: boolean;
  /**
   * Whether the handler draws charts (lib/handler-needs.ts `charts`): its asset then carries the
   * resvg wasm and the Inter font in `charts/`. False unless given.
   */
  charts?: boolean;
  /**
   * Whether the handler serves ECharts' browser build (lib/handler-needs.ts `browserCharts`): its
   * asset then carries it in `console/`. False unless given.
   */
  browserCharts?: boolean;
}

/**
 * The Cedar package, as package.json names it: imported as `@cedar-policy/cedar-wasm/nodejs`, a
 * CommonJS module that reads its wasm from `__dirname` when loaded, so esbuild must not inline it
 * into the ESM bundle. It is installed next to the bundle instead (`node_modules/`, the exact version
 * of package.json and package-lock.json), where the bundle's bare import finds it through the
 * package's `exports` map.
 */
export const CEDAR_PACKAGE = '@cedar-policy/cedar-wasm';

/** The folder of Cedar policies and schema, in the project and in the asset alike (handlers/policy-deps.ts). */
export const POLICY_FOLDER = 'policies';

/** A path as one word of a POSIX shell command. */
const quoted = (path: string): string => `'${path.replaceAll("'", "'\\''")}'`;

/**
 * The bundling additions of a function that decides by policy: Cedar kept out of esbuild and
 * installed by `npm ci` into the asset, and `policies/` copied next to the handler, where
 * policy-deps.ts reads it from LAMBDA_TASK_ROOT. Not kept in the asset: the project's whole lock
 * file, which `npm ci` needs, and the package's `esm/` and `web/` builds, each with its own copy of
 * the 4.3 MB wasm (the handlers import `nodejs/` only; a bundle that imported another build would
 * fail to load, which test/cdk/bundles.test.ts would show).
 */
const policyBundling = {
  nodeModules: [CEDAR_PACKAGE],
  // Nothing of npm's own that reaches out besides the install itself.
  environment: { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
};
const policyFiles = (inputDir: string, outputDir: string): string[] => [
  `cp -R ${quoted(join(inputDir, POLICY_FOLDER))} ${quoted(join(outputDir, POLICY_FOLDER))}`,
  `rm -f ${quoted(join(outputDir, 'package-lock.json'))}`,
  `rm -rf ${['esm', 'web'].map((build) => quoted(join(outputDir, 'node_modules', CEDAR_PACKAGE, build))).join(' ')}`,
];

/**
 * The files of a function that draws charts (adapters/charts): the resvg wasm (which esbuild does
 * not bundle: the renderer reads it) and the Inter font, copied into `charts/` beside the handler,
 * where the renderer reads them from LAMBDA_TASK_ROOT.
 */
const chartFiles = (inputDir: string, outputDir: string): string[] => [
  `mkdir -p ${quoted(join(outputDir, CHART_ASSETS.folder))}`,
  ...Object.values(CHART_ASSETS.files).map(
    (file) =>
      `cp ${quoted(join(inputDir, 'node_modules', file.module))} ${quoted(join(outputDir, CHART_ASSETS.folder, file.name))}`,
  ),
];

/** The file of a function that serves ECharts to the console's browsers, copied into `console/` beside the handler. */
const browserChartFiles = (inputDir: string, outputDir: string): string[] => [
  `mkdir -p ${quoted(join(outputDir, BROWSER_CHARTS.folder))}`,
  `cp ${quoted(join(inputDir, 'node_modules', BROWSER_CHARTS.module))} ${quoted(join(outputDir, BROWSER_CHARTS.folder, BROWSER_CHARTS.name))}`,
];

/**
 * One Lambda function for one handler module, the same way for every kind of handler (HTTP,
 * workflow task, schedule): bundled by the local esbuild as ESM, with its own log group and a
 * role that holds nothing until the stack grants it what the handler needs. A handler that
 * decides by policy carries Cedar and the policies besides (see `policyBundling`), one that draws
 * charts the wasm and font they are drawn with (see `chartFiles`), the console's assets ECharts
 * for the browser (see `browserChartFiles`); no other does.
 */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: ILogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const logGroup =
      props.logGroup ??
      new LogGroup(this, 'Logs', {
        retention: props.logRetention,
        // The audit trail lives in the (retained) table; the logs are operational and go with the stack.
        removalPolicy: RemovalPolicy.DESTROY,
      });
    this.logGroup = logGroup;
    // Not the AWSLambdaBasicExecutionRole managed policy: that one may write to every log group.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/handlers/${props.handler}.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: LAMBDA_MEMORY_MB,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Packages that still call require() need it defined inside an ES module.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // The exact SDK versions the tests ran with, not whichever the Lambda runtime carries today.
        bundleAwsSDK: true,
        // DDSketch's own serialisation requires protobufjs when called, which nothing does
        // (domain/analytics/sketch.ts stores the bins itself): left out, never loaded.
        externalModules: ['protobufjs/minimal'],
        minify: true,
        // Minifying renames classes; the state machine's Retry and Catch match errors by the name Lambda reports
        // (the thrown error's `name`, which DomainError takes from its class), and tickets record it on failure.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        ...(props.policies ? policyBundling : {}),
        ...(props.policies || props.charts || props.browserCharts
          ? {
              commandHooks: {
                beforeBundling: (): string[] => [],
                beforeInstall: (): string[] => [],
                afterBundling: (inputDir: string, outputDir: string): string[] => [
                  ...(props.policies ? policyFiles(inputDir, outputDir) : []),
                  ...(props.charts ? chartFiles(inputDir, outputDir) : []),
                  ...(props.browserCharts ? browserChartFiles(inputDir, outputDir) : []),
                ],
              },
            }
          : {}),
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the handlers are built and tested for (esbuild target node22); a newer one is adopted once the suites run on it.',
    });
  }
}
