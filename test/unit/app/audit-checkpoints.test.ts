import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeCheckpoint } from '../../../functions/app/audit-checkpoints';
import type { AuditSigner, ChainHeads, ChangedChain, CheckpointStore } from '../../../functions/app/ports';
import { partsOf, type SignedCheckpoint, signatureHolds } from '../../../functions/domain/audit/checkpoint';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

const signer: AuditSigner = {
  keyId: async () => 'local:test',
  sign: async (message) => sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }),
};

/** Checkpoints kept in memory, never overwritten, as the S3 store keeps them. */
class MemoryCheckpoints implements CheckpointStore {
  readonly stored: SignedCheckpoint[] = [];
  async latest() {
    return this.stored.at(-1);
  }
  async put(signed: SignedCheckpoint) {
    if (this.stored.some((other) => other.checkpoint.seq === signed.checkpoint.seq)) return false;
    this.stored.push(signed);
    return true;
  }
  async *all() {
    for (const signed of this.stored) yield* partsOf(signed);
  }
}

/** The table's chains as the checkpoint reads them: every one, whatever the window (a superset, as gsi6's hours are). */
function table(chains: ChangedChain[]): ChainHeads {
  return {
    async *changedSince() {
      yield* chains;
    },
  };
}

const at = (minute: number) => ({ now: () => new Date(Date.UTC(2026, 11, 5, 10, minute)) });
const chain = (name: string, seq: number, minute: number): ChangedChain => ({
  head: { chain: name, seq, hash: `${name}-${seq}`.padEnd(64, '0') },
  lastEventAt: at(minute).now().toISOString(),
});
const ticket = (id: string, seq: number, minute: number) => chain(`ticket:${id}`, seq, minute);
const policies = (seq: number, minute: number) => chain('admin:policies', seq, minute);

describe('making an audit checkpoint', () => {
  it('signs the heads of the changed chains, admin records among them, into the first checkpoint', async () => {
    // Prepare
    const checkpoints = new MemoryCheckpoints();

    // Act
    const result = await makeCheckpoint({
      clock: at(5),
      chains: table([ticket('T1', 3, 1), policies(2, 2)]),
      checkpoints,
      signer,
    });

    // Assess
    expect(result).toEqual({ written: true, seq: 1, heads: 2 });
    const [first] = checkpoints.stored;
    expect(first?.checkpoint.heads.map((head) => head.chain)).toEqual(['admin:policies', 'ticket:T1']);
    expect(first && signatureHolds(first, publicPem)).toBe(true);
  });

  it('writes nothing when no chain changed since', async () => {
    // Prepare
    const checkpoints = new MemoryCheckpoints();
    const chains = table([ticket('T1', 3, 1), policies(2, 2)]);
    await makeCheckpoint({ clock: at(5), chains, checkpoints, signer });

    // Act
    const result = await makeCheckpoint({ clock: at(20), chains, checkpoints, signer });

    // Assess
    expect(result).toEqual({ written: false, reason: 'nothing changed' });
    expect(checkpoints.stored).toHaveLength(1);
  });

  it('anchors only the chains whose head moved since the latest checkpoint', async () => {
    // Prepare
    const checkpoints = new MemoryCheckpoints();
    await makeCheckpoint({
      clock: at(5),
      chains: table([ticket('T1', 3, 1), policies(2, 2)]),
      checkpoints,
      signer,
    });

    // Act
    const result = await makeCheckpoint({
      clock: at(20),
      chains: table([ticket('T1', 3, 1), policies(3, 12)]),
      checkpoints,
      signer,
    });

    // Assess
    expect(result).toMatchObject({ written: true, seq: 2, heads: 1 });
    expect(checkpoints.stored[1]?.checkpoint.heads).toEqual([policies(3, 12).head]);
  });

  it('leaves the checkpoint another run wrote first under the same seq', async () => {
    // Prepare
    const checkpoints = new MemoryCheckpoints();
    const racing: CheckpointStore = {
      latest: async () => undefined,
      put: (signed) => checkpoints.put(signed),
      all: () => checkpoints.all(),
    };
    await makeCheckpoint({ clock: at(5), chains: table([ticket('T1', 3, 1)]), checkpoints, signer });

    // Act
    const result = await makeCheckpoint({
      clock: at(6),
      chains: table([ticket('T1', 4, 6)]),
      checkpoints: racing,
      signer,
    });

    // Assess
    expect(result).toEqual({ written: false, reason: 'written meanwhile' });
    expect(checkpoints.stored.map((signed) => signed.checkpoint.heads[0]?.seq)).toEqual([3]);
  });
});
