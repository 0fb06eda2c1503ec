import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { table as schema } from '../../functions/adapters/dynamodb/table';
import { type Resources, resourcesOfType, synth } from './synth';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('the audit trail in the stateful stack', () => {
  let synthesized: ReturnType<typeof synth>;
  const logicalId = (construct: IConstruct) =>
    synthesized.stacks.stateful.getLogicalId(construct.node.defaultChild as CfnElement);
  const resource = (type: string, construct: IConstruct) =>
    resourcesOfType(synthesized.templates.stateful, type)[logicalId(construct)] as Resources[string];
  beforeAll(() => {
    synthesized = synth();
  });

  it('keeps each checkpoint under Object Lock in GOVERNANCE mode by default, in a versioned, private bucket it retains', () => {
    // Act
    const bucket = resource('AWS::S3::Bucket', synthesized.stacks.stateful.audit.bucket);
    const raw =
      synthesized.templates.stateful.toJSON().Resources[logicalId(synthesized.stacks.stateful.audit.bucket)];

    // Assess
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(raw).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('takes the Object Lock mode and retention from the context settings', () => {
    // Act
    const compliant = synth({ context: { auditObjectLockMode: 'COMPLIANCE', auditRetentionDays: '2555' } });
    const bucket = Object.values(resourcesOfType(compliant.templates.stateful, 'AWS::S3::Bucket'))[0];

    // Assess
    expect(bucket?.Properties.ObjectLockConfiguration).toMatchObject({
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } },
    });
  });

  it('refuses a bucket request that is not over TLS', () => {
    // Act
    const policies = Object.values(resourcesOfType(synthesized.templates.stateful, 'AWS::S3::BucketPolicy'));
    const statements = policies.flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );

    // Assess
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('signs with an ECC_NIST_P256 key for signing only, which it retains', () => {
    // Act
    const key = resource('AWS::KMS::Key', synthesized.stacks.stateful.audit.signingKey);
    const raw =
      synthesized.templates.stateful.toJSON().Resources[
        logicalId(synthesized.stacks.stateful.audit.signingKey)
      ];

    // Assess
    expect(key.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(raw).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('lets the verifier role, assumable in the account, read the table, the checkpoints and the public key, and nothing else', () => {
    // Prepare
    const { audit, table } = synthesized.stacks.stateful;
    const role = resource('AWS::IAM::Role', audit.verifierRole);
    const policies = resourcesOfType(synthesized.templates.stateful, 'AWS::IAM::Policy');

    // Act
    const statements = Object.values(policies)
      .filter(
        (policy) =>
          JSON.stringify(policy.Properties.Roles) ===
          JSON.stringify([{ Ref: logicalId(audit.verifierRole) }]),
      )
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const actions = statements.flatMap((statement) => asList(statement.Action)).sort();

    // Assess
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(':root');
    expect(actions).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'kms:GetPublicKey',
        's3:GetObject',
        's3:ListBucket',
      ].sort(),
    );
    const tableArn = { 'Fn::GetAtt': [logicalId(table), 'Arn'] };
    const onTable = statements.find((statement) => asList(statement.Action).includes('dynamodb:Query'));
    expect(asList(onTable?.Resource)).toEqual([
      tableArn,
      ...schema.indexes.map((index) => ({ 'Fn::Join': ['', [tableArn, `/index/${index.name}`]] })),
    ]);
    const listing = statements.find((statement) => asList(statement.Action).includes('s3:ListBucket'));
    expect(listing?.Condition).toEqual({ StringLike: { 's3:prefix': 'checkpoints/*' } });
  });

  it('names the bucket, the signing key and the verifier role in its outputs', () => {
    // Act
    const outputs = Object.keys(synthesized.templates.stateful.toJSON().Outputs ?? {});

    // Assess
    expect(outputs).toEqual(
      expect.arrayContaining(['AuditBucketName', 'AuditSigningKeyArn', 'AuditVerifierRoleArn']),
    );
  });
});
