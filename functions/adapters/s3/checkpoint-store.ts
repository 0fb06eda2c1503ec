import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { CheckpointStore } from '../../app/ports';
import type { SignedCheckpoint } from '../../domain/audit/checkpoint';

const PREFIX = 'checkpoints/';

/** `checkpoints/{seq, 10 digits}.json`: keys sort as their seqs do. */
export const checkpointKey = (seq: number) => `${PREFIX}${String(seq).padStart(10, '0')}.json`;

const signedCheckpointSchema = z.object({
  checkpoint: z.object({
    seq: z.number().int().min(1),
    at: z.string(),
    since: z.string().nullable(),
    previous: z.string(),
    keyId: z.string(),
    heads: z.array(z.object({ chain: z.string(), seq: z.number().int(), hash: z.string() })),
  }),
  signature: z.string(),
});

/** A stored checkpoint that is not one: the trail's store was written to by something else. */
export class UnreadableCheckpoint extends Error {
  constructor(key: string, problem: string) {
    super(`Checkpoint ${key} is unreadable: ${problem}`);
    this.name = 'UnreadableCheckpoint';
  }
}

/**
 * Checkpoints as S3 objects, one per seq, written only if absent (If-None-Match: *): in AWS the
 * bucket's Object Lock then keeps each for its retention. The latest is found by listing: a
 * handful of one-key listings that halve the range of seqs, rather than a pointer object that
 * would have to be overwritten.
 */
export class S3CheckpointStore implements CheckpointStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(signed: SignedCheckpoint): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: checkpointKey(signed.checkpoint.seq),
          Body: JSON.stringify(signed),
          ContentType: 'application/json',
          IfNoneMatch: '*',
          // A bucket with Object Lock takes a put only with a checksum of its body.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      return true;
    } catch (error) {
      // 409 ConditionalRequestConflict: another put of the same key was in flight.
      if (
        error instanceof S3ServiceException &&
        (error.$metadata.httpStatusCode === 412 || error.$metadata.httpStatusCode === 409)
      ) {
        return false;
      }
      throw error;
    }
  }

  async latest(): Promise<SignedCheckpoint | undefined> {
    // Gallop up to a seq past the last, then halve: whether a key follows a seq is monotone.
    let low = 0;
    let high = 1;
    while ((await this.keyAfter(checkpointKey(high))) !== undefined) {
      low = high;
      high *= 2;
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if ((await this.keyAfter(checkpointKey(middle))) !== undefined) low = middle;
      else high = middle;
    }
    const key = await this.keyAfter(low === 0 ? '' : checkpointKey(low));
    return key === undefined ? undefined : this.read(key);
  }

  async *all(): AsyncIterable<SignedCheckpoint> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: PREFIX, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield await this.read(object.Key);
      }
      token = page.NextContinuationToken;
    } while (token);
  }

  /** The first checkpoint key after `after`, if any. */
  private async keyAfter(after: string): Promise<string | undefined> {
    const page = await this.s3.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: PREFIX,
        StartAfter: after || undefined,
        MaxKeys: 1,
      }),
    );
    return page.Contents?.[0]?.Key;
  }

  private async read(key: string): Promise<SignedCheckpoint> {
    let text: string;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = (await object.Body?.transformToString()) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey) throw new UnreadableCheckpoint(key, 'listed, then gone');
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UnreadableCheckpoint(key, 'not JSON');
    }
    const result = signedCheckpointSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new UnreadableCheckpoint(
        key,
        `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    return result.data;
  }
}
