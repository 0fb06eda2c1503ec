import {
  abridged,
  CheckpointReading,
  TrailVerification,
  type VerificationReport,
} from '../domain/audit/verification';
import type { Identity } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import type { AuditPublicKey, CheckpointStore, Clock, TrailReader, VerificationResults } from './ports';
import { AUDITORS, assertAnyRole } from './roles';

export interface AuditVerifyDeps {
  clock: Clock;
  checkpoints: CheckpointStore;
  trail: TrailReader;
  publicKey: AuditPublicKey;
}

/** How far a verification has read: the checkpoints first, then the table's items. */
export type VerifyProgress =
  | { phase: 'checkpoints'; read: number }
  | { phase: 'chains'; read: number; total: number | undefined };

/**
 * Primary course, for `npm run audit:verify` and the scheduled run alike: the checkpoints read and
 * checked with the public key, then every chain of the table judged against its latest checkpointed
 * head, a page at a time.
 */
export async function verifyAuditTrail(
  deps: AuditVerifyDeps,
  onProgress?: (progress: VerifyProgress) => void,
): Promise<VerificationReport> {
  const checkpoints = new CheckpointReading(await deps.publicKey.pem());
  for await (const signed of deps.checkpoints.all()) {
    checkpoints.add(signed);
    onProgress?.({ phase: 'checkpoints', read: checkpoints.count });
  }
  const verification = new TrailVerification(checkpoints.heads);
  // Only a progress bar needs the total: the scheduled run neither asks nor needs DescribeTable.
  const total = onProgress ? await deps.trail.approximateItems() : undefined;
  let read = 0;
  for await (const page of deps.trail.pages()) {
    for (const { chain, events } of page.chains) verification.see(chain, events);
    read += page.read;
    onProgress?.({ phase: 'chains', read, total });
  }
  return verification.finish(checkpoints, deps.clock.now().toISOString());
}

/** Findings a stored result keeps (the tampered first): about 200 KB, within an item's 400 KB. */
const MAX_STORED_FINDINGS = 1000;

/** The scheduled run: verifies, and stores the result for GET /audit/verify. */
export async function runScheduledVerification(
  deps: AuditVerifyDeps & { verifications: VerificationResults },
): Promise<VerificationReport> {
  const report = abridged(await verifyAuditTrail(deps), MAX_STORED_FINDINGS);
  await deps.verifications.put(report);
  return report;
}

/** Primary course: the latest stored result; a 404 until the schedule has run once. */
export async function readLatestVerification(
  deps: { verifications: VerificationResults },
  caller: Identity,
): Promise<VerificationReport> {
  assertAnyRole(caller, AUDITORS, 'read the audit verification');
  const latest = await deps.verifications.latest();
  if (!latest) {
    throw new NotFoundError(
      'No verification has run yet: the audit-verify schedule stores one each day; npm run audit:verify checks now',
    );
  }
  return latest;
}
