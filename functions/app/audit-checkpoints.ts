import { anchoredBy, changesReadFrom, stillToAnchor } from '../domain/audit/anchoring';
import {
  type ChainHead,
  checkpointBytes,
  nextCheckpoint,
  type SignedCheckpoint,
} from '../domain/audit/checkpoint';
import type { AuditSigner, ChainHeads, CheckpointStore, Clock } from './ports';

export interface CheckpointDeps {
  clock: Clock;
  chains: ChainHeads;
  checkpoints: CheckpointStore;
  signer: AuditSigner;
}

export type CheckpointResult =
  | { written: true; seq: number; heads: number }
  | { written: false; reason: 'nothing changed' | 'written meanwhile' };

/**
 * Anchors every chain changed since the latest checkpoint: signs their heads with the previous
 * checkpoint's hash and stores the checkpoint outside the table. Nothing changed: nothing written.
 * The admin log's head rides in every checkpoint once it exists, so the latest checkpoint always
 * says whether it changed since.
 */
export async function makeCheckpoint(deps: CheckpointDeps): Promise<CheckpointResult> {
  // Taken before reading: a change read after it is anchored again next time rather than lost.
  const at = deps.clock.now();
  const latest = (await deps.checkpoints.latest())?.checkpoint;
  const anchored = anchoredBy(latest);
  const heads: ChainHead[] = [];
  for await (const { head, lastEventAt } of deps.chains.changedSince(changesReadFrom(latest), at)) {
    if (stillToAnchor(latest, head, lastEventAt, anchored)) heads.push(head);
  }
  const adminLog = await deps.chains.adminLog();
  if (adminLog && (heads.length > 0 || anchored.get(adminLog.chain) !== adminLog.hash)) heads.push(adminLog);
  if (heads.length === 0) return { written: false, reason: 'nothing changed' };

  const checkpoint = nextCheckpoint(latest, heads, at.toISOString(), await deps.signer.keyId());
  const signature = await deps.signer.sign(checkpointBytes(checkpoint));
  const signed: SignedCheckpoint = { checkpoint, signature: Buffer.from(signature).toString('base64') };
  // Another run wrote this seq first (two schedules overlapping): its checkpoint stands, ours goes.
  if (!(await deps.checkpoints.put(signed))) return { written: false, reason: 'written meanwhile' };
  return { written: true, seq: checkpoint.seq, heads: heads.length };
}
