import { ArnFormat, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { deployedRoutes } from '../functions/routes';
import { ACCESS_REQUEST_STATE_MACHINE } from '../functions/workflow';
import type { DeployConfig } from './config';
import { HandlerFunction, handlerId } from './constructs/handler-function';
import { TicketsApi } from './constructs/tickets-api';
import { grantTableAccess, needsOf } from './handler-needs';

export interface StatelessStackProps extends StackProps {
  config: DeployConfig;
  table: ITable;
  userPool: IUserPool;
  userPoolClient: IUserPoolClient;
}

/**
 * Everything that can be rebuilt from the repository: the API, its functions, the signing secret.
 * Each concern is a construct, so the workflow (state machine, task functions, schedules, email)
 * joins as constructs of its own built from the same HandlerFunction.
 */
export class StatelessStack extends Stack {
  readonly api: TicketsApi;
  readonly functions: ReadonlyMap<string, HandlerFunction>;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;

    const signingSecret = new Secret(this, 'SigningSecret', {
      description: 'Tollgate: HMAC key for list cursors and link-page forms',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(signingSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the key invalidates list cursors and open link-page forms, and functions read it only at cold start; it is rotated by hand as docs/deploy.md describes, not on a schedule.',
    });

    this.api = new TicketsApi(this, 'Api', {
      userPool: props.userPool,
      userPoolClient: props.userPoolClient,
      logRetention: config.logRetentionDays,
      ...(config.customDomain && config.certificateArn
        ? { customDomain: { name: config.customDomain, certificateArn: config.certificateArn } }
        : {}),
    });

    // What functions/config.ts reads, as it must be in AWS.
    const environment = {
      TABLE_NAME: props.table.tableName,
      CALLER_CLAIM: 'email',
      SIGNING_SECRET_ARN: signingSecret.secretArn,
      STATE_MACHINE_ARN: this.stateMachineArn(ACCESS_REQUEST_STATE_MACHINE),
      SENDER_ADDRESS: config.senderAddress,
      PUBLIC_BASE_URL: config.publicBaseUrl ?? this.api.url,
    };

    const routes = deployedRoutes();
    const functions = new Map<string, HandlerFunction>();
    for (const handler of new Set(routes.map((route) => route.handler))) {
      const fn = new HandlerFunction(this, handlerId(handler), {
        handler,
        environment,
        logRetention: config.logRetentionDays,
      });
      grantTableAccess(fn.role, props.table, needsOf(handler).table);
      signingSecret.grantRead(fn.role);
      functions.set(handler, fn);
    }
    this.functions = functions;
    this.api.serve(routes, (handler) => (functions.get(handler) as HandlerFunction).function);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    if (this.api.domainName) {
      new CfnOutput(this, 'CustomDomainTarget', {
        description: 'Point a CNAME (or an alias record) for the custom domain at this name',
        value: this.api.domainName.regionalDomainName,
      });
    }
  }

  /**
   * The access-request state machine arrives with the workflow constructs, under this name; the
   * functions are configured with its ARN already (functions/config.ts requires it). Until it
   * exists, and until the functions are granted states:StartExecution and SendTaskSuccess on it,
   * submit stores the ticket and logs that its workflow did not start, for reconcile to start later.
   */
  private stateMachineArn(name: string): string {
    return this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${this.stackName}-${name}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }
}
