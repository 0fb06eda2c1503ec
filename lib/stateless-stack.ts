import {
  Arn,
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { IUserPool, IUserPoolClient, UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EXPORT_FILES_PREFIX } from '../functions/app/audit-exports';
import { deployedRoutes } from '../functions/routes';
import { configuredSchedules, WEBHOOK_DISPATCH } from '../functions/schedules';
import {
  accessRequestStateMachine,
  revocationStateMachine,
  type StateMachineName,
  stateMachines,
  workflowTasks,
} from '../functions/workflow';
import { addressOf, type DeployConfig, weeklyReportTime } from './config';
import { CHECKPOINT_PREFIX, checkpointsWildcardReason } from './constructs/audit-trail';
import { GrantScheduleTarget } from './constructs/grant-schedule-target';
import { HandlerFunction, handlerId } from './constructs/handler-function';
import { HandlerSchedules } from './constructs/handler-schedules';
import { TicketsApi } from './constructs/tickets-api';
import {
  executionArnsFor,
  stateMachineArnFor,
  stateMachineNameFor,
  WorkflowStateMachine,
} from './constructs/workflow-state-machine';
import {
  executionsActedOnBy,
  grantAuditTrail,
  grantEmail,
  grantExportFiles,
  grantGrantSchedules,
  grantTableAccess,
  grantWorkflowAccess,
  needsOf,
  type StateMachineArns,
} from './handler-needs';

export interface StatelessStackProps extends StackProps {
  config: DeployConfig;
  table: ITable;
  userPool: IUserPool;
  userPoolClient: IUserPoolClient;
  /** The user pool's sign-in domain: the console's OpenID provider. Without it the console cannot sign in. */
  userPoolDomain?: UserPoolDomain;
  /**
   * The audit trail's checkpoint bucket and signing key (the stateful stack's AuditTrail). The
   * bucket's ARN comes through an export named here, so the grants on its objects can be named.
   */
  audit: { bucketName: string; bucketArn: { value: string; exportName: string }; signingKeyArn: string };
}

/** How long an audit export's file is kept: its link is signed anew at each GET until then. */
const EXPORT_RETENTION_DAYS = 7;

/** A scheduled sweep may go through every open ticket: more than an API call's 10 seconds. */
const SCHEDULED_TIMEOUT = Duration.minutes(1);

/**
 * Everything that can be rebuilt from the repository: the API, the state machines, the schedules,
 * one function per handler module (HTTP routes, workflow tasks, schedules), the signing secret.
 */
export class StatelessStack extends Stack {
  readonly api: TicketsApi;
  readonly functions: ReadonlyMap<string, HandlerFunction>;
  readonly workflows: ReadonlyMap<string, WorkflowStateMachine>;
  readonly schedules: HandlerSchedules;
  readonly grantScheduleTarget: GrantScheduleTarget;
  readonly exportsBucket: IBucket;

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

    const webhookSecrets = config.webhookIntegrations.map((integration) => {
      const secret = new Secret(this, `WebhookSecret-${integration.name}`, {
        description: `Tollgate: the whsec_ secrets the ${integration.name} integration signs webhooks with (a JSON list)`,
        // Not a secret: the empty list an operator replaces with the integration's secrets.
        secretStringValue: SecretValue.unsafePlainText('[]'),
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Each integration holds its own copy of the secret: it is rotated with the integration, by adding the new secret to the list and removing the old one later (docs/deploy.md), not by a rotation Lambda.',
      });
      return { ...integration, secretId: secret.secretArn, secret };
    });

    const subscriberSecrets = config.webhookSubscribers.map((subscriber) => {
      const secret = new Secret(this, `WebhookSubscriberSecret-${subscriber.name}`, {
        description: `Tollgate: the whsec_ secrets outbound events to the ${subscriber.name} subscriber are signed with (a JSON list)`,
        // Not a secret: the empty list an operator replaces with the subscriber's secret.
        secretStringValue: SecretValue.unsafePlainText('[]'),
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The subscriber holds its own copy of the secret to verify signatures: it is rotated with the subscriber, by adding the new secret to the list (every one signs) and removing the old one later (docs/deploy.md), not by a rotation Lambda.',
      });
      return { ...subscriber, secretId: secret.secretArn, secret };
    });

    this.api = new TicketsApi(this, 'Api', {
      userPool: props.userPool,
      userPoolClient: props.userPoolClient,
      logRetention: config.logRetentionDays,
      ...(config.customDomain && config.certificateArn
        ? { customDomain: { name: config.customDomain, certificateArn: config.certificateArn } }
        : {}),
    });

    // By name, not by reference: the task functions read them too, and each state machine refers to them.
    const workflowArns: StateMachineArns[] = stateMachines.map((machine) => ({
      name: machine.name,
      stateMachine: stateMachineArnFor(this, machine.name),
      executions: executionArnsFor(this, machine.name),
    }));

    const grantScheduleTarget = new GrantScheduleTarget(this, 'GrantSchedules', {
      revocationStateMachineArn: stateMachineArnFor(this, revocationStateMachine.name),
    });
    this.grantScheduleTarget = grantScheduleTarget;

    const exportsBucket = this.exportsBucketFor();
    this.exportsBucket = exportsBucket;

    // What functions/config.ts reads, as it must be in AWS. The API's URL is the API resource's own
    // endpoint, which no route, integration or function precedes: no dependency cycle.
    const environment: Record<string, string> = {
      TABLE_NAME: props.table.tableName,
      CALLER_CLAIM: 'email',
      SIGNING_SECRET_ARN: signingSecret.secretArn,
      // Each state machine's ARN in the setting functions/workflow.ts names for it.
      ...Object.fromEntries(
        stateMachines.map((machine) => [machine.arnSetting, stateMachineArnFor(this, machine.name)]),
      ),
      // What each grant's schedule names: the role Scheduler assumes, the queue for what it cannot deliver.
      GRANT_SCHEDULER_ROLE_ARN: grantScheduleTarget.role.roleArn,
      GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN: grantScheduleTarget.deadLetterQueue.queueArn,
      WEBHOOK_INTEGRATIONS: JSON.stringify(webhookSecrets.map(({ secret, ...integration }) => integration)),
      WEBHOOK_SUBSCRIBERS: JSON.stringify(subscriberSecrets.map(({ secret, ...subscriber }) => subscriber)),
      SENDER_ADDRESS: config.senderAddress,
      ...(config.sesConfigurationSet ? { SES_CONFIGURATION_SET: config.sesConfigurationSet } : {}),
      ...(config.adminDefaultMaxDuration
        ? { ADMIN_DEFAULT_MAX_DURATION: config.adminDefaultMaxDuration }
        : {}),
      ...(config.deadlines ? { DEADLINES: JSON.stringify(config.deadlines) } : {}),
      ...(config.reportRecipients.length > 0
        ? { ANALYTICS_RECIPIENTS: config.reportRecipients.join(',') }
        : {}),
      PUBLIC_BASE_URL: config.publicBaseUrl ?? this.api.url,
      EXPORTS_BUCKET: exportsBucket.bucketName,
      AUDIT_BUCKET: props.audit.bucketName,
      AUDIT_SIGNING_KEY_ARN: props.audit.signingKeyArn,
      // The console signs in with the pool's public app client (code flow, PKCE) through its domain.
      ...(props.userPoolDomain
        ? {
            OIDC_ISSUER: `https://cognito-idp.${this.region}.amazonaws.com/${props.userPool.userPoolId}`,
            OIDC_CLIENT_ID: props.userPoolClient.userPoolClientId,
            OIDC_LOGOUT_URL: `${props.userPoolDomain.baseUrl()}/logout`,
          }
        : {}),
    };
    const emailResources = this.emailResources(config);

    const routes = deployedRoutes();
    const schedules = configuredSchedules(weeklyReportTime(config));
    const handlers = [
      ...new Set(routes.map((route) => route.handler)),
      ...workflowTasks.map((task) => task.handler),
      ...schedules.map((schedule) => schedule.handler),
    ];
    // The workflow tasks' timeouts come from functions/workflow.ts, which the local runtime enforces too.
    const timeouts = new Map<string, Duration>([
      ...schedules.map(
        (schedule) =>
          [
            schedule.handler,
            schedule.timeoutMinutes ? Duration.minutes(schedule.timeoutMinutes) : SCHEDULED_TIMEOUT,
          ] as const,
      ),
      ...workflowTasks.map((task) => [task.handler, Duration.seconds(task.timeoutSeconds)] as const),
    ]);
    const { SIGNING_SECRET_ARN: _unread, ...withoutSigningSecret } = environment;
    // The API's handlers share a log group, as do the console's pages (each function writes its own
    // streams): a group per function would take the stack past CloudFormation's 500 resources.
    const sharedLogs = new Map(
      (['http', 'pages'] as const).map((kind) => [
        kind,
        new LogGroup(this, `${kind === 'http' ? 'Api' : 'ConsolePage'}Logs`, {
          retention: config.logRetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ]),
    );
    const functions = new Map<string, HandlerFunction>();
    for (const handler of new Set(handlers)) {
      const logGroup = sharedLogs.get(handler.split('/')[0] as 'http' | 'pages');
      const timeout = timeouts.get(handler);
      const fn = new HandlerFunction(this, handlerId(handler), {
        handler,
        environment: needsOf(handler).signingSecret ? environment : withoutSigningSecret,
        logRetention: config.logRetentionDays,
        ...(logGroup ? { logGroup } : {}),
        ...(timeout ? { timeout } : {}),
        policies: needsOf(handler).policies,
        charts: needsOf(handler).charts,
        browserCharts: needsOf(handler).browserCharts,
      });
      grantTableAccess(fn.role, props.table, handler);
      grantWorkflowAccess(fn.role, workflowArns, handler);
      for (const machine of executionsActedOnBy(handler)) {
        this.acknowledgeExecutionsWildcard(fn, handler, machine);
      }
      grantEmail(fn.role, emailResources, handler);
      grantExportFiles(fn.role, exportsBucket.bucketArn, handler);
      if (needsOf(handler).exportFiles.length > 0) this.acknowledgeExportFilesWildcard(fn, handler);
      grantGrantSchedules(fn.role, grantScheduleTarget, handler);
      grantAuditTrail(
        fn.role,
        { bucketArn: props.audit.bucketArn.value, keyArn: props.audit.signingKeyArn },
        handler,
      );
      if (needsOf(handler).checkpoints.some((action) => action !== 'ListBucket')) {
        this.acknowledgeCheckpointObjects(fn, handler, props.audit.bucketArn.exportName);
      }
      if (needsOf(handler).grantSchedules.length > 0) this.acknowledgeGrantSchedulesWildcard(fn, handler);
      if (needsOf(handler).signingSecret) signingSecret.grantRead(fn.role);
      if (needsOf(handler).webhookSecrets) {
        fn.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: webhookSecrets.map(({ secret }) => secret.secretArn),
          }),
        );
      }
      if (needsOf(handler).subscriberSecrets && subscriberSecrets.length > 0) {
        fn.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: subscriberSecrets.map(({ secret }) => secret.secretArn),
          }),
        );
      }
      functions.set(handler, fn);
    }
    this.functions = functions;
    const functionFor = (handler: string) => (functions.get(handler) as HandlerFunction).function;
    this.handToDispatcher(functions, schedules);

    this.api.serve(routes, functionFor);
    this.workflows = new Map(
      stateMachines.map((machine) => [
        machine.name,
        new WorkflowStateMachine(this, handlerId(machine.name), {
          name: machine.name,
          definitionFile: machine.definitionFile,
          functionFor,
          logRetention: config.logRetentionDays,
        }),
      ]),
    );
    this.schedules = new HandlerSchedules(this, 'Schedules', { schedules, functionFor });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    // What npm run load-directory takes as --state-machine: the executions a cancellation stops.
    new CfnOutput(this, 'AccessRequestStateMachineArn', {
      value: stateMachineArnFor(this, accessRequestStateMachine.name),
    });
    new CfnOutput(this, 'GrantScheduleDeadLetterQueueUrl', {
      description:
        'Grant schedules whose revocation EventBridge Scheduler could not start; the revocation-sweep schedule starts them meanwhile (docs/deploy.md)',
      value: grantScheduleTarget.deadLetterQueue.queueUrl,
    });
    if (this.api.domainName) {
      new CfnOutput(this, 'CustomDomainTarget', {
        description: 'Point a CNAME (or an alias record) for the custom domain at this name',
        value: this.api.domainName.regionalDomainName,
      });
    }
    for (const machine of stateMachines) {
      if (!machine.output) continue;
      new CfnOutput(this, machine.output, {
        value: (this.workflows.get(machine.name) as WorkflowStateMachine).stateMachine.stateMachineArn,
      });
    }
  }

  /**
   * The functions whose writes add outbound events (lib/handler-needs.ts `dispatches`) invoke the
   * dispatcher at once: its name in their settings, and lambda:InvokeFunction on it alone (not on
   * its versions and aliases, `<arn>:*`, as grantInvoke would).
   */
  private handToDispatcher(
    functions: ReadonlyMap<string, HandlerFunction>,
    schedules: { name: string; handler: string }[],
  ): void {
    const handler = schedules.find((schedule) => schedule.name === WEBHOOK_DISPATCH)?.handler;
    const dispatcher = handler ? functions.get(handler)?.function : undefined;
    if (!dispatcher)
      throw new Error(`No function for the ${WEBHOOK_DISPATCH} schedule: webhooks out cannot be dispatched`);
    for (const [name, fn] of functions) {
      if (!needsOf(name).dispatches) continue;
      fn.function.addEnvironment('WEBHOOK_DISPATCHER_FUNCTION', dispatcher.functionName);
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [dispatcher.functionArn] }),
      );
    }
  }

  /**
   * Audit export files (POST /audit/exports): private, encrypted, TLS only, each deleted after
   * EXPORT_RETENTION_DAYS (an upload a failed export left open, after a day). Exports are copies
   * made on request, not the trail itself (that is the table, and the checkpoints' bucket), so this
   * bucket is in the stateless stack; it is retained when the stack is deleted, and empties itself.
   */
  private exportsBucketFor(): Bucket {
    const bucket = new Bucket(this, 'AuditExports', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(EXPORT_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Each export is started by an authenticated API call that the job records (who, when, which period), and each download link is signed by GET /audit/exports/{id} for the caller it checked; server access logs would need a second bucket that outlives these short-lived files.',
    });
    return bucket;
  }

  /**
   * The executions are named after tickets, so no policy can name them one by one: `execution:<state
   * machine>:*` is the narrowest resource, every execution of the one state machine.
   */
  private acknowledgeExecutionsWildcard(
    fn: HandlerFunction,
    handler: string,
    machine: StateMachineName,
  ): void {
    const policy = fn.role.node.tryFindChild('DefaultPolicy');
    if (!policy) throw new Error(`The role of ${fn.node.id} has no default policy to acknowledge`);
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineNameFor(this, machine)}:*`;
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${executions}]`,
      reason: `Actions on the executions of the state machine ${machine} only (${needsOf(handler).workflow[machine]?.join(', ')}): they are named after tickets, so none can be named in advance.`,
    });
  }

  /** Export files are named after their jobs, which no policy can name in advance. */
  private acknowledgeExportFilesWildcard(fn: HandlerFunction, handler: string): void {
    const policy = fn.role.node.tryFindChild('DefaultPolicy');
    if (!policy) throw new Error(`The role of ${fn.node.id} has no default policy to acknowledge`);
    const bucketId = this.getLogicalId(this.exportsBucket.node.defaultChild as CfnElement);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${EXPORT_FILES_PREFIX}*]`,
      reason: `The export files only (${needsOf(handler).exportFiles.join(', ')}): one per export job, named after the job, so none can be named in advance.`,
    });
  }

  /** The checkpoints are named after their seq, which no policy can name in advance. */
  private acknowledgeCheckpointObjects(fn: HandlerFunction, handler: string, bucketArnExport: string): void {
    const policy = fn.role.node.tryFindChild('DefaultPolicy');
    if (!policy) throw new Error(`The role of ${fn.node.id} has no default policy to acknowledge`);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${bucketArnExport}/${CHECKPOINT_PREFIX}*]`,
      reason: checkpointsWildcardReason(needsOf(handler).checkpoints.join(', ')),
    });
  }

  /** The grant schedules are named after grants, which no policy can name in advance. */
  private acknowledgeGrantSchedulesWildcard(fn: HandlerFunction, handler: string): void {
    const policy = fn.role.node.tryFindChild('DefaultPolicy');
    if (!policy) throw new Error(`The role of ${fn.node.id} has no default policy to acknowledge`);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/default/grant-*]',
      reason: `The grant schedules only (${needsOf(handler).grantSchedules.join(', ')}): one per grant, named grant-<grant id>, so none can be named in advance.`,
    });
  }

  /**
   * What ses:SendEmail is granted on: the sender's address and its domain (SES authorizes against
   * whichever of the two is the verified identity), the configuration set when one is used, and,
   * while the account is in the SES sandbox, the recipients' identities, which SES checks there too.
   */
  private emailResources(config: DeployConfig): string[] {
    const identity = (name: string) =>
      Arn.format({ service: 'ses', resource: 'identity', resourceName: name }, this);
    const sender = addressOf(config.senderAddress);
    return [
      identity(sender.slice(sender.lastIndexOf('@') + 1)),
      identity(sender),
      ...config.sesSandboxRecipients.map((address) => identity(address)),
      ...(config.sesConfigurationSet
        ? [
            Arn.format(
              { service: 'ses', resource: 'configuration-set', resourceName: config.sesConfigurationSet },
              this,
            ),
          ]
        : []),
    ];
  }
}
