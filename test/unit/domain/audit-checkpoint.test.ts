import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchoredBy, changesReadFrom, stillToAnchor } from '../../../functions/domain/audit/anchoring';
import {
  type ChainHead,
  type Checkpoint,
  CheckpointDigest,
  checkpointBytes,
  checkpointHash,
  GENESIS_HASH,
  nextCheckpoint,
  type SignedCheckpoint,
  signatureHolds,
} from '../../../functions/domain/audit/checkpoint';

const head = (chain: string, seq = 1, hash = 'a'.repeat(64)): ChainHead => ({ chain, seq, hash });

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function signed(
  checkpoint: Checkpoint,
  privateKey: ReturnType<typeof keyPair>['privateKey'],
): SignedCheckpoint {
  const signature = sign('sha256', checkpointBytes(checkpoint), { key: privateKey, dsaEncoding: 'der' });
  return { checkpoint, signature: signature.toString('base64') };
}

describe('audit checkpoints', () => {
  it('start at seq 1 after the genesis hash, covering everything before them', () => {
    // Act
    const first = nextCheckpoint(undefined, [head('ticket:T1')], '2026-12-05T10:00:00.000Z', 'local:k');

    // Assess
    expect(first).toMatchObject({ seq: 1, since: null, previous: GENESIS_HASH, keyId: 'local:k' });
  });

  it('chain each checkpoint to the hash of the one before, from its time on', () => {
    // Prepare
    const first = nextCheckpoint(undefined, [head('ticket:T1')], '2026-12-05T10:00:00.000Z', 'local:k');

    // Act
    const second = nextCheckpoint(first, [head('ticket:T2')], '2026-12-05T10:15:00.000Z', 'local:k');

    // Assess
    expect(second).toMatchObject({ seq: 2, since: first.at, previous: checkpointHash(first) });
  });

  it('sort their heads by chain id, whatever order they were found in', () => {
    // Act
    const checkpoint = nextCheckpoint(
      undefined,
      [head('ticket:T2'), head('admin:log'), head('grant:GT1'), head('ticket:T1')],
      '2026-12-05T10:00:00.000Z',
      'local:k',
    );

    // Assess
    expect(checkpoint.heads.map((h) => h.chain)).toEqual([
      'admin:log',
      'grant:GT1',
      'ticket:T1',
      'ticket:T2',
    ]);
  });

  it('hold their signature when the key signed exactly them', () => {
    // Prepare
    const key = keyPair();
    const checkpoint = nextCheckpoint(undefined, [head('ticket:T1')], '2026-12-05T10:00:00.000Z', 'local:k');

    // Act
    const holds = signatureHolds(signed(checkpoint, key.privateKey), key.publicPem);

    // Assess
    expect(holds).toBe(true);
  });

  it('fail their signature once a head is altered', () => {
    // Prepare
    const key = keyPair();
    const original = signed(
      nextCheckpoint(undefined, [head('ticket:T1', 3)], '2026-12-05T10:00:00.000Z', 'local:k'),
      key.privateKey,
    );
    const altered: SignedCheckpoint = {
      ...original,
      checkpoint: { ...original.checkpoint, heads: [head('ticket:T1', 2)] },
    };

    // Act
    const holds = signatureHolds(altered, key.publicPem);

    // Assess
    expect(holds).toBe(false);
  });

  it('fail their signature against another key', () => {
    // Prepare
    const signer = keyPair();
    const other = keyPair();
    const checkpoint = nextCheckpoint(undefined, [head('ticket:T1')], '2026-12-05T10:00:00.000Z', 'local:k');

    // Act
    const holds = signatureHolds(signed(checkpoint, signer.privateKey), other.publicPem);

    // Assess
    expect(holds).toBe(false);
  });
});

describe('which chains the next checkpoint anchors', () => {
  const first = nextCheckpoint(
    undefined,
    [head('ticket:T1', 2, 'b'.repeat(64))],
    '2026-12-05T10:05:00.000Z',
    'k',
  );
  const second = nextCheckpoint(
    first,
    [head('ticket:T2', 1, 'c'.repeat(64))],
    '2026-12-05T10:20:00.000Z',
    'k',
  );

  it('reads every chain before the first checkpoint', () => {
    // Act
    const from = changesReadFrom(undefined);

    // Assess
    expect(from).toBeNull();
  });

  it('reads from the latest checkpoint’s since, or an hour before the first, to reach a late write', () => {
    // Act
    const afterFirst = changesReadFrom(first);
    const afterSecond = changesReadFrom(second);

    // Assess
    expect([afterFirst, afterSecond]).toEqual(['2026-12-05T09:05:00.000Z', first.at]);
  });

  it('skips a head the latest checkpoint names as it is', () => {
    // Act
    const again = stillToAnchor(
      first,
      head('ticket:T1', 2, 'b'.repeat(64)),
      '2026-12-05T10:01:00.000Z',
      anchoredBy(first),
    );

    // Assess
    expect(again).toBe(false);
  });

  it('skips a head older than the latest checkpoint’s since, which an earlier checkpoint anchored', () => {
    // Act
    const old = stillToAnchor(
      second,
      head('ticket:T1', 2, 'b'.repeat(64)),
      '2026-12-05T10:01:00.000Z',
      anchoredBy(second),
    );

    // Assess
    expect(old).toBe(false);
  });

  it('anchors a change written after the latest checkpoint read, though its event is older than it', () => {
    // Act
    const late = stillToAnchor(second, head('ticket:T3', 4), '2026-12-05T10:19:59.000Z', anchoredBy(second));

    // Assess
    expect(late).toBe(true);
  });

  it('anchors a chain the latest checkpoint named at an earlier head', () => {
    // Act
    const moved = stillToAnchor(
      second,
      head('ticket:T2', 2, 'd'.repeat(64)),
      '2026-12-05T10:30:00.000Z',
      anchoredBy(second),
    );

    // Assess
    expect(moved).toBe(true);
  });

  it('are hashed and checked a batch of heads at a time as whole, whatever their strings and batches', () => {
    const key = keyPair();
    const other = keyPair();
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const checkpoint = fc.record({
      seq: fc.integer({ min: 1, max: 1_000_000 }),
      at: text,
      since: fc.option(text, { nil: null }),
      previous: text,
      keyId: text,
      heads: fc.array(fc.record({ chain: text, seq: fc.nat(), hash: text }), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(
        checkpoint,
        fc.array(fc.nat({ max: 8 }), { maxLength: 4 }),
        fc.boolean(),
        (made, cuts, forged) => {
          const { heads, ...fields } = made;
          const whole = signed(made, (forged ? other : key).privateKey);
          const digest = new CheckpointDigest(fields);
          let from = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            digest.heads(heads.slice(from, Math.max(from, cut)));
            from = Math.max(from, cut);
          }
          digest.heads(heads.slice(from));

          expect(digest.finish(whole.signature, key.publicPem)).toEqual({
            hash: checkpointHash(made),
            signatureHolds: signatureHolds(whole, key.publicPem),
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
