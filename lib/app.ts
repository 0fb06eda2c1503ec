import { Annotations, type App } from 'aws-cdk-lib';
import { readDeployConfig } from './config';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

/** The Tollgate app: the stateful stack (table, users) and the stateless one that uses it. */
export function buildApp(app: App) {
  const config = readDeployConfig(app.node);
  const stateful = new StatefulStack(app, `${config.stackPrefix}-Stateful`, {
    description: 'Tollgate: the table, the user pool and the audit trail anchor (retained on delete)',
    oauth: {
      callbackUrls: config.oauthCallbackUrls,
      logoutUrls: config.oauthLogoutUrls,
      domainPrefix: config.authDomainPrefix ?? `${config.stackPrefix.toLowerCase()}-console`,
    },
    auditRetention: { mode: config.auditObjectLockMode, days: config.auditRetentionDays },
  });
  const auditBucketArnExport = `${config.stackPrefix}-AuditBucketArn`;
  const stateless = new StatelessStack(app, `${config.stackPrefix}-Stateless`, {
    description: 'Tollgate: the API and its functions',
    config,
    table: stateful.table,
    userPool: stateful.userPool,
    userPoolClient: stateful.userPoolClient,
    userPoolDomain: stateful.userPoolDomain,
    audit: {
      bucketName: stateful.audit.bucket.bucketName,
      bucketArn: {
        value: stateful.exportValue(stateful.audit.bucket.bucketArn, { name: auditBucketArnExport }),
        exportName: auditBucketArnExport,
      },
      signingKeyArn: stateful.audit.signingKey.keyArn,
    },
  });
  if (!app.node.tryGetContext('senderAddress')) {
    Annotations.of(stateless).addWarningV2(
      'tollgate:senderAddress',
      `senderAddress is not set: emails would go out from the placeholder ${config.senderAddress}. Set it to an address of a verified SES identity (docs/deploy.md).`,
    );
  }
  return { config, stateful, stateless };
}
