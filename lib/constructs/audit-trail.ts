import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, type IGrantable, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectLockRetention,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { table as schema } from '../../functions/adapters/dynamodb/table';

/** Where the checkpoints are in the bucket (functions/adapters/s3/checkpoint-store.ts). */
export const CHECKPOINT_PREFIX = 'checkpoints/';

export interface AuditTrailProps {
  table: ITable;
  /** Object Lock's default retention of every checkpoint (the deployment settings). */
  retention: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number };
}

/**
 * What anchors the audit trail outside the table: the bucket the checkpoints are written to, each
 * kept by Object Lock for the retention period (so nobody with write access to the table can
 * also rewrite the checkpoints), the KMS key that signs them (ECDSA P-256; its private half never
 * leaves KMS), and a read-only role for `npm run audit:verify`, which reads the table and the
 * checkpoints directly rather than asking Tollgate.
 */
export class AuditTrail extends Construct {
  readonly bucket: Bucket;
  readonly signingKey: Key;
  readonly verifierRole: Role;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const { mode, days } = props.retention;
    const retention = Duration.days(days);

    this.bucket = new Bucket(this, 'Checkpoints', {
      // Object Lock needs versioning; a put never overwrites a checkpoint anyway (If-None-Match).
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        mode === 'COMPLIANCE'
          ? ObjectLockRetention.compliance(retention)
          : ObjectLockRetention.governance(retention),
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs would go to another bucket that would itself be unlogged; who read or wrote a checkpoint is recorded by CloudTrail data events on this bucket where an organisation wants it (docs/deploy.md), and Object Lock keeps every version whatever is logged.',
    });

    this.signingKey = new Key(this, 'SigningKey', {
      description: 'Tollgate: signs the audit trail checkpoints (ECDSA P-256)',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // A key deleted would leave every checkpoint it signed unverifiable.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.verifierRole = new Role(this, 'AuditVerifierRole', {
      description:
        'Read-only: npm run audit:verify reads the table and the audit checkpoints and checks them',
      assumedBy: new AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(12),
    });
    this.verifierRole.addToPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:Scan',
        ],
        resources: [
          props.table.tableArn,
          ...schema.indexes.map((index) => `${props.table.tableArn}/index/${index.name}`),
        ],
      }),
    );
    grantCheckpointAccess(this.verifierRole, this.bucket.bucketArn, ['GetObject', 'ListBucket']);
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const policy = this.verifierRole.node.tryFindChild('DefaultPolicy');
    if (!policy) throw new Error('The audit verifier role has no default policy to acknowledge');
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${CHECKPOINT_PREFIX}*]`,
      reason: checkpointsWildcardReason('GetObject'),
    });
    this.verifierRole.addToPolicy(
      new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [this.signingKey.keyArn] }),
    );
  }
}

export type CheckpointAction = 'PutObject' | 'GetObject' | 'ListBucket';

/**
 * S3 actions on the checkpoints only: objects under `checkpoints/`, and listing that prefix.
 */
export function grantCheckpointAccess(
  grantee: IGrantable,
  bucketArn: string,
  actions: CheckpointAction[],
): void {
  const onObjects = actions.filter((action) => action !== 'ListBucket');
  if (onObjects.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: onObjects.map((action) => `s3:${action}`),
        resources: [`${bucketArn}/${CHECKPOINT_PREFIX}*`],
      }),
    );
  }
  if (actions.includes('ListBucket')) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': `${CHECKPOINT_PREFIX}*` } },
      }),
    );
  }
}

/** Why a grant on `checkpoints/*` is as narrow as it can be, for the acknowledgement of cdk-nag's IAM5. */
export const checkpointsWildcardReason = (actions: string) =>
  `The audit checkpoints only (${actions}): one object per checkpoint, ${CHECKPOINT_PREFIX}<seq>.json, so none can be named in advance.`;
