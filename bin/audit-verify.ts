import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SingleBar } from 'cli-progress';
import { MemoryAnchoredHeads } from '../functions/adapters/audit/anchored-heads';
import { FilePublicKey, KmsPublicKey, PublicKeyError } from '../functions/adapters/audit/public-key';
import { SqliteAnchoredHeads, sqliteMissing } from '../functions/adapters/audit/sqlite-anchored-heads';
import { DynamoTrailReader } from '../functions/adapters/dynamodb/audit-trail';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { S3CheckpointStore, UnreadableCheckpoint } from '../functions/adapters/s3/checkpoint-store';
import { createS3Client } from '../functions/adapters/s3/client';
import { systemClock } from '../functions/adapters/system';
import { type AuditVerifyDeps, type VerifyProgress, verifyAuditTrail } from '../functions/app/audit-verify';
import { chainStatuses, type VerificationReport } from '../functions/domain/audit/verification';
import { auditKeyFiles } from '../functions/local/audit-key';
import { LOCAL_TABLE_NAME, localCredentials } from '../functions/local/dynamodb';
import { LOCAL_AUDIT_BUCKET } from '../functions/local/s3';
import { readLocalSettings } from '../functions/local/settings';

const usage = `Verifies the audit trail: every ticket's timeline, every grant's events and the admin
history of directory entries, catalog systems and the policies, read straight from the table, against the signed checkpoints, read straight from the bucket, with
the signing key's public half. It never asks the Tollgate API: that would ask the system under audit.

  npm run audit:verify                       the local system (npm start), while it runs
  npm run audit:verify -- --table <TableName output> --bucket <AuditBucket output>
                          (--kms-key-id <AuditSigningKeyArn output> | --public-key <file.pem>)
                          [--region <region>]

Locally it reads the DynamoDB and S3 endpoints of npm start (PORT+1 and PORT+5, or
TOLLGATE_DYNAMODB_PORT and TOLLGATE_S3_PORT, or AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_S3),
the table ${LOCAL_TABLE_NAME} and the bucket ${LOCAL_AUDIT_BUCKET}, and the public key
{TOLLGATE_DATA_DIR}/audit-signing-key.pub.pem (.tollgate/ by default; --public-key to use another).

In AWS the credentials come from the usual AWS settings (AWS_PROFILE, ...), for example the stack's
read-only AuditVerifierRole; --kms-key-id fetches the public key from KMS (kms:GetPublicKey), or
--public-key reads one an administrator handed you.

Each chain is intact, newer (events after its last checkpoint, or none yet), edited (an event's
hash or link broken), truncated (checkpointed events gone) or deleted (checkpointed, no longer in the
table). Exit codes: 0 nothing tampered with and every checkpoint sound, 1 tampering or a checkpoint
problem found (or the reading failed), 2 bad arguments.`;

/** A problem with what the command was given: printed with the usage, exit code 2. */
class UsageError extends Error {}

interface Source {
  where: string;
  deps: Omit<AuditVerifyDeps, 'clock' | 'openAnchoredHeads'>;
}

/** The checkpointed heads on disk, so memory stays flat however many chains; in memory on a Node without node:sqlite. */
async function openAnchoredHeads() {
  try {
    return await SqliteAnchoredHeads.open();
  } catch (error) {
    if (sqliteMissing(error)) return new MemoryAnchoredHeads();
    throw error;
  }
}

function readOptions(argv: string[]): Source | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        table: { type: 'string' },
        bucket: { type: 'string' },
        region: { type: 'string' },
        'kms-key-id': { type: 'string' },
        'public-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const text = (name: string) => {
    const value = values[name];
    if (value === '') throw new UsageError(`--${name} needs a value`);
    return typeof value === 'string' ? value : undefined;
  };
  const [table, bucket, region, kmsKeyId, publicKey] = [
    text('table'),
    text('bucket'),
    text('region'),
    text('kms-key-id'),
    text('public-key'),
  ];
  if (kmsKeyId && publicKey) throw new UsageError('Give --kms-key-id or --public-key, not both');
  if (table === undefined && bucket === undefined) {
    if (kmsKeyId || region) {
      throw new UsageError('--kms-key-id and --region are for AWS: give --table and --bucket with them');
    }
    return localSource(publicKey);
  }
  if (!table || !bucket) throw new UsageError('In AWS give both --table and --bucket (the stack outputs)');
  if (!kmsKeyId && !publicKey) {
    throw new UsageError(
      'In AWS give --kms-key-id (the signing key, read by kms:GetPublicKey) or --public-key',
    );
  }
  const regionSetting = region ? { region } : {};
  return {
    where: `table ${table}, bucket ${bucket}`,
    deps: {
      trail: new DynamoTrailReader(createDocumentClient(new DynamoDBClient(regionSetting)), table),
      checkpoints: new S3CheckpointStore(createS3Client(regionSetting), bucket),
      publicKey: kmsKeyId
        ? new KmsPublicKey(new KMSClient(regionSetting), kmsKeyId)
        : new FilePublicKey(publicKey as string),
    },
  };
}

/** The local system's table and bucket, at the endpoints `npm start` opens with the same settings. */
function localSource(publicKey: string | undefined): Source {
  let settings: ReturnType<typeof readLocalSettings>;
  try {
    settings = readLocalSettings(process.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const local = { region: 'us-east-1', credentials: localCredentials };
  const dynamodb = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? `http://127.0.0.1:${settings.dynamodbPort}`;
  const s3 = process.env.AWS_ENDPOINT_URL_S3 ?? `http://127.0.0.1:${settings.s3Port}`;
  return {
    where: `the local system (DynamoDB ${dynamodb}, S3 ${s3}, data in ${settings.dataDir})`,
    deps: {
      trail: new DynamoTrailReader(
        createDocumentClient(new DynamoDBClient({ ...local, endpoint: dynamodb })),
        LOCAL_TABLE_NAME,
      ),
      checkpoints: new S3CheckpointStore(createS3Client({ ...local, endpoint: s3 }), LOCAL_AUDIT_BUCKET),
      publicKey: new FilePublicKey(publicKey ?? auditKeyFiles(settings.dataDir).publicFile),
    },
  };
}

/** A bar on stderr while the table is read (cli-progress draws only on a terminal), so stdout keeps the report. */
function progressBar(): { update(progress: VerifyProgress): void; stop(): void } {
  const bar = new SingleBar({
    stream: process.stderr,
    format: '{phase} |{bar}| {value}/{total} {unit}',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update(progress) {
      const payload =
        progress.phase === 'checkpoints'
          ? { phase: 'Reading checkpoints', unit: 'checkpoints' }
          : { phase: 'Reading the table', unit: 'items' };
      // A total the reading outgrows (DynamoDB's count is hours old, checkpoints are not counted) grows with it.
      const total = Math.max(progress.read, progress.phase === 'chains' ? (progress.total ?? 0) : 0);
      if (!started) bar.start(total, progress.read, payload);
      started = true;
      bar.setTotal(total);
      bar.update(progress.read, payload);
    },
    stop: () => bar.stop(),
  };
}

function printReport(report: VerificationReport, where: string): void {
  const lines: string[] = [`Audit trail of ${where}, checked at ${report.checkedAt}`];
  const { checkpoints } = report;
  lines.push(
    checkpoints.latest
      ? `Checkpoints: ${checkpoints.count}, the latest #${checkpoints.latest.seq} at ${checkpoints.latest.at}${checkpoints.sound ? '; sound' : ''}`
      : 'Checkpoints: none yet, so no chain is anchored (the audit-checkpoint schedule makes them)',
  );
  for (const problem of checkpoints.problems) lines.push(`  checkpoint ${problem.seq}: ${problem.detail}`);
  const tamperedFindings = report.findings.filter((finding) => finding.status !== 'newer');
  if (tamperedFindings.length > 0) lines.push('Tampered with:');
  for (const finding of tamperedFindings) {
    lines.push(`  ${finding.kind} ${finding.id}: ${finding.status} (${finding.detail})`);
  }
  const { counts, byKind } = report;
  const chainsOf = (kind: keyof typeof byKind) =>
    chainStatuses.reduce((sum, status) => sum + byKind[kind][status], 0);
  const kinds = [`${chainsOf('ticket')} tickets`, `${chainsOf('grant')} grants`];
  if (chainsOf('admin') > 0) kinds.push(`${chainsOf('admin')} admin records`);
  lines.push(
    `Chains: ${counts.total} (${kinds.join(', ')}): ${chainStatuses.map((status) => `${counts[status]} ${status}`).join(', ')}`,
  );
  lines.push(
    report.ok
      ? 'OK: nothing was tampered with, and every checkpoint holds.'
      : `NOT OK: ${tamperedFindings.length} chains tampered with, ${checkpoints.problems.length} checkpoint problems.`,
  );
  console.log(lines.join('\n'));
}

async function main(argv: string[]): Promise<number> {
  const source = readOptions(argv);
  if (source === 'help') {
    console.log(usage);
    return 0;
  }
  const bar = progressBar();
  let report: VerificationReport;
  try {
    report = await verifyAuditTrail({ ...source.deps, clock: systemClock, openAnchoredHeads }, (progress) =>
      bar.update(progress),
    );
  } finally {
    bar.stop();
  }
  printReport(report, source.where);
  return report.ok ? 0 : 1;
}

/** What went wrong, in a sentence: never a stack trace. */
function describeFailure(error: unknown): string {
  if (error instanceof PublicKeyError || error instanceof UnreadableCheckpoint) return error.message;
  const { name, message, code } = error as Error & { code?: string };
  if (code === 'ECONNREFUSED' || name === 'ECONNREFUSED') {
    return `Cannot reach ${message.replace(/^connect ECONNREFUSED /, '')}: is Tollgate running (npm start)? Locally the table and checkpoints are read through its endpoints.`;
  }
  if (name === 'ResourceNotFoundException') return `The table was not found: ${message}`;
  if (name === 'NoSuchBucket') return `The checkpoint bucket was not found: ${message}`;
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return `Not allowed: ${message} (the AuditVerifierRole may read the table, the bucket and the key's public half)`;
  }
  return `${name}: ${message}`;
}

// Stopped with Ctrl-C or a kill: exit, so that exit handlers remove the temporary file of heads.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(`Verification could not finish: ${describeFailure(error)}`);
    process.exit(1);
  },
);
