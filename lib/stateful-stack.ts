import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { projectionOf, table as schema } from '../functions/adapters/dynamodb/table';
import { AuditTrail, type AuditTrailProps } from './constructs/audit-trail';

const stringKey = (name: string) => ({ name, type: AttributeType.STRING });

export interface StatefulStackProps extends StackProps {
  /** Where the app client may redirect after sign-in and sign-out (the deployment settings). */
  oauth: { callbackUrls: string[]; logoutUrls: string[]; domainPrefix: string };
  /** Object Lock's default retention of the audit checkpoints (the deployment settings). */
  auditRetention: AuditTrailProps['retention'];
}

/**
 * What must outlive any redeploy: the table (the tickets, the directory, the audit trail), the
 * user pool (people's accounts and their MFA enrolments) and the audit trail's anchor (the
 * checkpoint bucket and the signing key). All are retained when the stack is
 * deleted; the stateless stack can be torn down and rebuilt at will.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  /** The hosted sign-in pages the console sends browsers to; none without callback URLs. */
  readonly userPoolDomain?: UserPoolDomain;
  readonly audit: AuditTrail;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    // Keys and indexes come from the schema module that the local store and every query also read.
    this.table = new Table(this, schema.logicalName, {
      partitionKey: stringKey(schema.partitionKey),
      sortKey: stringKey(schema.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: schema.timeToLiveAttribute,
      encryption: TableEncryption.AWS_MANAGED,
    });
    for (const index of schema.indexes) {
      const projection = projectionOf(index);
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        projectionType: ProjectionType[projection.type],
        ...(projection.type === 'INCLUDE' ? { nonKeyAttributes: projection.attributes } : {}),
      });
    }

    this.userPool = new UserPool(this, 'Users', {
      // The platform team creates accounts; what a person may do is decided by the directory in the table.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      // An authenticator app: SMS would need an SNS spending limit and is the weaker factor.
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The Plus feature plan (threat protection) is billed per monthly active user with no free tier; MFA is required for everyone instead. docs/deploy.md says how to switch a pool to Plus.',
    });

    const { callbackUrls, logoutUrls } = props.oauth;
    this.userPoolClient = this.userPool.addClient('ApiClient', {
      // Command-line and script clients: no client secret, and sign-in by password (TLS to Cognito) or SRP.
      authFlows: { userPassword: true, userSrp: true },
      generateSecret: false,
      // The web console signs in with the authorization-code flow and PKCE (a public client: no secret),
      // back to the URLs the settings name. Never the implicit flow (tokens in the URL), and never
      // aws-cdk-lib's defaults, which are both flows and the placeholder https://example.com. Without
      // callback URLs the client has no OAuth flow at all.
      ...(callbackUrls.length > 0
        ? {
            oAuth: {
              flows: { authorizationCodeGrant: true },
              scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
              callbackUrls,
              ...(logoutUrls.length > 0 ? { logoutUrls } : {}),
            },
          }
        : { disableOAuth: true }),
      preventUserExistenceErrors: true,
      // The email claim is the caller's directory id, so only an administrator may change it.
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
    });

    if (callbackUrls.length > 0) {
      // The classic hosted UI: the newer managed login needs a branding resource, and the console
      // only needs the sign-in and /logout pages.
      this.userPoolDomain = this.userPool.addDomain('SignIn', {
        cognitoDomain: { domainPrefix: props.oauth.domainPrefix },
        managedLoginVersion: ManagedLoginVersion.CLASSIC_HOSTED_UI,
      });
      new CfnOutput(this, 'SignInDomain', { value: this.userPoolDomain.baseUrl() });
    }

    this.audit = new AuditTrail(this, 'AuditTrail', { table: this.table, retention: props.auditRetention });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AuditBucketName', {
      description: 'Where the audit checkpoints are (checkpoints/<seq>.json), each kept by Object Lock',
      value: this.audit.bucket.bucketName,
    });
    new CfnOutput(this, 'AuditSigningKeyArn', {
      description:
        'The KMS key that signs the audit checkpoints; npm run audit:verify checks them with its public key',
      value: this.audit.signingKey.keyArn,
    });
    new CfnOutput(this, 'AuditVerifierRoleArn', {
      description:
        "Read-only role for npm run audit:verify: the table, the checkpoints, the signing key's public key",
      value: this.audit.verifierRole.roleArn,
    });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
  }
}
