import { KMSClient } from '@aws-sdk/client-kms';
import { KeyFileAuditSigner, KmsAuditSigner } from '../adapters/audit-signer';
import { DynamoChainHeads } from '../adapters/dynamodb/chain-heads';
import { S3CheckpointStore } from '../adapters/s3/checkpoint-store';
import { createS3Client } from '../adapters/s3/client';
import { type Deps, getDeps } from './deps';

/**
 * What the audit trail's handlers need besides the common deps: the checkpoint bucket, the signer
 * (the KMS key in AWS, the key file locally) and the chain heads in the table. Kept apart from
 * deps.ts so that only these functions build S3 and KMS clients.
 */
function buildAuditDeps(deps: Deps) {
  const { bucket, signingKey } = deps.config.audit;
  return {
    checkpoints: new S3CheckpointStore(createS3Client(), bucket),
    signer:
      signingKey.kind === 'kms'
        ? new KmsAuditSigner(new KMSClient({}), signingKey.keyArn)
        : new KeyFileAuditSigner(signingKey.path),
    chains: new DynamoChainHeads(deps.db, deps.config.tableName),
  };
}

export type AuditDeps = Deps & ReturnType<typeof buildAuditDeps>;

let auditDeps: AuditDeps | undefined;

export function getAuditDeps(): AuditDeps {
  auditDeps ??= { ...getDeps(), ...buildAuditDeps(getDeps()) };
  return auditDeps;
}
