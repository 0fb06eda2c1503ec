import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointKey, S3CheckpointStore } from '../../functions/adapters/s3/checkpoint-store';
import {
  type Checkpoint,
  type CheckpointPart,
  nextCheckpoint,
  type SignedCheckpoint,
} from '../../functions/domain/audit/checkpoint';
import { LOCAL_S3_BUCKET, startTestS3, type TestS3 } from '../support/local-s3';

/** A chain of `count` checkpoints, signed with a stand-in: the store keeps what it is given. */
function checkpoints(count: number): SignedCheckpoint[] {
  const chain: SignedCheckpoint[] = [];
  let previous: Checkpoint | undefined;
  for (let n = 1; n <= count; n++) {
    const at = new Date(Date.UTC(2026, 11, 5, 10, n)).toISOString();
    previous = nextCheckpoint(
      previous,
      [{ chain: `ticket:T${n}`, seq: n, hash: 'a'.repeat(64) }],
      at,
      'local:k',
    );
    chain.push({ checkpoint: previous, signature: `signature-${n}` });
  }
  return chain;
}

/** Every checkpoint all() reads, put back together from its parts, and how many parts carried heads. */
async function readAll(store: S3CheckpointStore): Promise<{ read: SignedCheckpoint[]; headParts: number }> {
  const read: SignedCheckpoint[] = [];
  let current: Checkpoint | undefined;
  let headParts = 0;
  for await (const part of store.all() as AsyncIterable<CheckpointPart>) {
    if (part.part === 'fields') current = { ...part.fields, heads: [] };
    else if (part.part === 'heads') {
      headParts++;
      current?.heads.push(...part.heads);
    } else if (current) {
      read.push({ checkpoint: current, signature: part.signature });
      current = undefined;
    }
  }
  return { read, headParts };
}

/** A checkpoint naming `count` chains, as the first one names every chain there is. */
function large(count: number): SignedCheckpoint {
  const heads = Array.from({ length: count }, (_, index) => ({
    chain: `ticket:T${String(index).padStart(8, '0')}`,
    seq: (index % 9) + 1,
    hash: index.toString(16).padStart(64, '0'),
  }));
  return {
    checkpoint: nextCheckpoint(undefined, heads, '2026-12-05T10:00:00.000Z', 'local:k'),
    signature: 's',
  };
}

describe('the S3 checkpoint store', () => {
  let s3: TestS3;
  let store: S3CheckpointStore;

  beforeEach(async () => {
    s3 = await startTestS3();
    store = new S3CheckpointStore(s3.client, LOCAL_S3_BUCKET);
  });

  afterEach(() => s3.close());

  it('has no latest checkpoint before the first is put', async () => {
    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toBeUndefined();
  });

  it('answers the checkpoint with the highest seq as the latest, however many there are', async () => {
    // Prepare
    const chain = checkpoints(37);
    for (const signed of chain) await store.put(signed);

    // Act
    const latest = await store.latest();

    // Assess
    expect(latest).toEqual(chain.at(-1));
  });

  it('never overwrites a checkpoint: a second put of its seq writes nothing and answers false', async () => {
    // Prepare
    const [first] = checkpoints(1) as [SignedCheckpoint];
    await store.put(first);

    // Act
    const written = await store.put({ ...first, signature: 'forged' });

    // Assess
    expect(written).toBe(false);
    expect(await store.latest()).toEqual(first);
  });

  it('reads every checkpoint oldest first', async () => {
    // Prepare
    const chain = checkpoints(12);
    for (const signed of [...chain].reverse()) await store.put(signed);

    // Act
    const { read } = await readAll(store);

    // Assess
    expect(read).toEqual(chain);
  });

  it('reads a checkpoint that names many chains as it streams in, its heads in several parts', async () => {
    // Prepare
    const signed = large(20_000);
    await store.put(signed);

    // Act
    const { read, headParts } = await readAll(store);

    // Assess
    expect(read).toEqual([signed]);
    expect(headParts).toBeGreaterThan(1);
  });

  it('reads a checkpoint whose fields come after its heads as one whose fields come first', async () => {
    // Prepare
    const signed = large(3);
    const { heads, ...fields } = signed.checkpoint;
    const body = JSON.stringify({
      signature: signed.signature,
      checkpoint: { heads, ...fields, extra: [1] },
    });
    await s3.client.send(
      new PutObjectCommand({ Bucket: LOCAL_S3_BUCKET, Key: checkpointKey(1), Body: body }),
    );

    // Act
    const { read } = await readAll(store);

    // Assess
    expect(read).toEqual([signed]);
  });

  it.each([
    ['not JSON', '{"checkpoint":{"seq":1,', 'not JSON'],
    [
      'a head that is not one',
      '{"checkpoint":{"seq":1,"at":"a","since":null,"previous":"p","keyId":"k","heads":[{"chain":"ticket:T1","seq":1,"hash":"h"},{"chain":"ticket:T2","seq":"2","hash":"h"}]},"signature":"s"}',
      'checkpoint.heads.1.seq',
    ],
    [
      'no signature',
      '{"checkpoint":{"seq":1,"at":"a","since":null,"previous":"p","keyId":"k","heads":[]}}',
      'signature',
    ],
    [
      'heads given twice',
      '{"checkpoint":{"seq":1,"at":"a","since":null,"previous":"p","keyId":"k","heads":[],"heads":[]},"signature":"s"}',
      'checkpoint.heads: given twice',
    ],
    [
      'a field given again after the heads',
      '{"checkpoint":{"seq":1,"at":"a","since":null,"previous":"p","keyId":"k","heads":[],"seq":2},"signature":"s"}',
      'checkpoint: a field is given twice',
    ],
  ])('names a checkpoint with %s as unreadable when reading them all', async (_, body, problem) => {
    // Prepare
    await s3.client.send(
      new PutObjectCommand({ Bucket: LOCAL_S3_BUCKET, Key: checkpointKey(1), Body: body }),
    );

    // Act
    const reading = readAll(store);

    // Assess
    await expect(reading).rejects.toThrow(`Checkpoint ${checkpointKey(1)} is unreadable: ${problem}`);
  });

  it('names an object that is not a checkpoint when reading it', async () => {
    // Prepare
    await s3.client.send(
      new PutObjectCommand({ Bucket: LOCAL_S3_BUCKET, Key: checkpointKey(1), Body: '{"checkpoint":{}}' }),
    );

    // Act
    const reading = store.latest();

    // Assess
    await expect(reading).rejects.toThrow(`Checkpoint ${checkpointKey(1)} is unreadable: checkpoint.seq`);
  });
});
