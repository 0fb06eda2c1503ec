import {
  abridged,
  CheckpointReading,
  TrailVerification,
  type VerificationReport,
} from '../domain/audit/verification';
import type { Identity } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import type {
  AnchoredHeads,
  AuditPublicKey,
  CheckpointStore,
  Clock,
  TrailReader,
  VerificationResults,
} from './ports';
import { AUDITORS, assertAnyRole } from './roles';

export interface AuditVerifyDeps {
  clock: Clock;
  checkpoints: CheckpointStore;
  trail: TrailReader;
  publicKey: AuditPublicKey;
  /** Where this verification keeps the checkpointed heads: a fresh, empty store each time. */
  openAnchoredHeads(): Promise<AnchoredHeads>;
}

/** How far a verification has read: the checkpoints first, then the table's items. */
export type VerifyProgress =
  | { phase: 'checkpoints'; read: number }
  | { phase: 'chains'; read: number; total: number | undefined };

/**
 * Primary course, for `npm run audit:verify` and the scheduled run alike: the checkpoints read and
 * checked with the public key, a part at a time, their heads kept in `AnchoredHeads` once a
 * checkpoint's signature holds; then every chain of the table judged against its latest
 * checkpointed head, a page at a time; then the heads no chain took, deleted. Memory holds a page
 * and the findings, never the whole trail nor every head.
 */
export async function verifyAuditTrail(
  deps: AuditVerifyDeps,
  onProgress?: (progress: VerifyProgress) => void,
): Promise<VerificationReport> {
  const checkpoints = new CheckpointReading(await deps.publicKey.pem());
  const anchored = await deps.openAnchoredHeads();
  try {
    for await (const part of deps.checkpoints.all()) {
      if (part.part === 'fields') checkpoints.begin(part.fields);
      else if (part.part === 'heads') {
        checkpoints.heads(part.heads);
        await anchored.stage(part.heads);
      } else {
        await anchored.settle(checkpoints.end(part.signature));
        onProgress?.({ phase: 'checkpoints', read: checkpoints.count });
      }
    }
    const verification = new TrailVerification();
    // Only a progress bar needs the total: the scheduled run neither asks nor needs DescribeTable.
    const total = onProgress ? await deps.trail.approximateItems() : undefined;
    let read = 0;
    for await (const page of deps.trail.pages()) {
      const heads = await anchored.take(page.chains.map(({ chain }) => chain));
      for (const [index, { chain, events }] of page.chains.entries()) {
        verification.see(chain, events, heads[index]);
      }
      read += page.read;
      onProgress?.({ phase: 'chains', read, total });
    }
    for await (const heads of anchored.untaken()) for (const head of heads) verification.gone(head);
    return verification.finish(checkpoints, deps.clock.now().toISOString());
  } finally {
    await anchored.close();
  }
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
