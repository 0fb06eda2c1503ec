import { KMSClient } from '@aws-sdk/client-kms';
import { MemoryAnchoredHeads } from '../adapters/audit/anchored-heads';
import { FilePublicKey, KmsPublicKey } from '../adapters/audit/public-key';
import { KeyFileAuditSigner, KmsAuditSigner } from '../adapters/audit-signer';
import { DynamoTrailReader, DynamoVerificationResults } from '../adapters/dynamodb/audit-trail';
import { DynamoChainHeads } from '../adapters/dynamodb/chain-heads';
import { S3CheckpointStore } from '../adapters/s3/checkpoint-store';
import { createS3Client } from '../adapters/s3/client';
import { type Deps, getDeps } from './deps';

/**
 * What the audit trail's handlers need besides the common deps: the checkpoint bucket, the signer
 * and its public key (the KMS key in AWS, the key file locally), the chain heads in the table, the
 * whole trail for verification and its stored results. Kept apart from deps.ts so that only these
 * functions build S3 and KMS clients.
 */
function buildAuditDeps(deps: Deps) {
  const { bucket, signingKey } = deps.config.audit;
  const kms = new KMSClient({});
  return {
    checkpoints: new S3CheckpointStore(createS3Client(), bucket),
    signer:
      signingKey.kind === 'kms'
        ? new KmsAuditSigner(kms, signingKey.keyArn)
        : new KeyFileAuditSigner(signingKey.path),
    // Locally the public key is derived from the private key file, which is the same key pair.
    publicKey:
      signingKey.kind === 'kms'
        ? new KmsPublicKey(kms, signingKey.keyArn)
        : new FilePublicKey(signingKey.path),
    chains: new DynamoChainHeads(deps.db, deps.config.tableName),
    trail: new DynamoTrailReader(deps.db, deps.config.tableName),
    openAnchoredHeads: async () => new MemoryAnchoredHeads(),
    verifications: new DynamoVerificationResults(deps.db, deps.config.tableName),
  };
}

export type AuditDeps = Deps & ReturnType<typeof buildAuditDeps>;

let auditDeps: AuditDeps | undefined;

export function getAuditDeps(): AuditDeps {
  auditDeps ??= { ...getDeps(), ...buildAuditDeps(getDeps()) };
  return auditDeps;
}
