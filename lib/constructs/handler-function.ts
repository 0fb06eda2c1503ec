import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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
  /** How long one invocation may run: 10 seconds unless the handler's kind needs longer. */
  timeout?: Duration;
}

/**
 * One Lambda function for one handler module, the same way for every kind of handler (HTTP,
 * workflow task, schedule): bundled by the local esbuild as ESM, with its own log group and a
 * role that holds nothing until the stack grants it what the handler needs.
 */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // The audit trail lives in the (retained) table; the logs are operational and go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
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
        minify: true,
        // Minifying renames classes; the state machine's Retry and Catch match errors by the name Lambda reports
        // (the thrown error's `name`, which DomainError takes from its class), and tickets record it on failure.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the handlers are built and tested for (esbuild target node22); a newer one is adopted once the suites run on it.',
    });
  }
}
