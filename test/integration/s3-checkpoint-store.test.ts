import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointKey, S3CheckpointStore } from '../../functions/adapters/s3/checkpoint-store';
import {
  type Checkpoint,
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
    const all: SignedCheckpoint[] = [];
    for await (const signed of store.all()) all.push(signed);

    // Assess
    expect(all).toEqual(chain);
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
