import { isDeepStrictEqual } from 'node:util';
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
import type {
  ChainHead,
  CheckpointFields,
  CheckpointPart,
  SignedCheckpoint,
} from '../../domain/audit/checkpoint';
import { StreamedJson } from './streamed-json';

const PREFIX = 'checkpoints/';

/** `checkpoints/{seq, 10 digits}.json`: keys sort as their seqs do. */
export const checkpointKey = (seq: number) => `${PREFIX}${String(seq).padStart(10, '0')}.json`;

const headSchema = z.object({ chain: z.string(), seq: z.number().int(), hash: z.string() });
const fieldsSchema = z.object({
  seq: z.number().int().min(1),
  at: z.string(),
  since: z.string().nullable(),
  previous: z.string(),
  keyId: z.string(),
});
const signedCheckpointSchema = z.object({
  checkpoint: fieldsSchema.extend({ heads: z.array(headSchema) }),
  signature: z.string(),
});

/** Heads a part carries at most when they come from heads held back (see CheckpointParts). */
const HEADS_PER_PART = 1000;

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

  async *all(): AsyncIterable<CheckpointPart> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: PREFIX, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield* this.stream(object.Key);
      }
      token = page.NextContinuationToken;
    } while (token);
  }

  /** One checkpoint in parts as its body arrives: its heads never all in memory. */
  private async *stream(key: string): AsyncIterable<CheckpointPart> {
    const body = await this.body(key);
    const parts = new CheckpointParts(key);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        parts.write(decoder.decode(chunk, { stream: true }));
        yield* parts.take();
      }
      parts.write(decoder.decode());
      parts.end();
      yield* parts.take();
    } finally {
      // A reading stopped early (a checkpoint found unreadable) lets go of the connection.
      (body as { destroy?: () => void }).destroy?.();
    }
  }

  private async body(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // In Node the body is a Readable: chunks of bytes as they arrive.
      return (object.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
    } catch (error) {
      if (error instanceof NoSuchKey) throw new UnreadableCheckpoint(key, 'listed, then gone');
      throw error;
    }
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
    return parseOrUnreadable(signedCheckpointSchema, parsed, key);
  }
}

function parseOrUnreadable<T>(schema: z.ZodType<T>, value: unknown, key: string, path = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = [path, ...(issue?.path ?? [])].filter((step) => step !== '').join('.');
  throw new UnreadableCheckpoint(key, `${where || 'body'}: ${issue?.message ?? 'invalid'}`);
}

/**
 * A checkpoint file parsed as it streams in, into parts (fields, heads, signature), checked as
 * read() checks a whole one: the same parts for the same file, and the same files unreadable. As
 * Tollgate writes them (JSON.stringify of `{ checkpoint: { seq, at, since, previous, keyId, heads },
 * signature }`), the fields come before the heads, which then go on as they are read, each checked
 * on its own. A file with a field after the heads has them held back until its end; one that gives
 * the heads twice (which JSON.parse would take the last of) is refused: Tollgate never writes one.
 */
class CheckpointParts {
  private readonly parser: StreamedJson;
  private readonly ready: CheckpointPart[] = [];
  private streaming: { fields: CheckpointFields; heads: ChainHead[] } | undefined;
  private heldBack: unknown[] | undefined;
  private headsSeen = 0;

  constructor(private readonly key: string) {
    this.parser = new StreamedJson(['checkpoint', 'heads'], {
      onArray: (checkpoint) => this.headsBegin(checkpoint),
      onElement: (head) => this.head(head),
    });
  }

  write(text: string): void {
    this.syntax(() => this.parser.write(text));
  }

  end(): void {
    const document = this.syntax(() => this.parser.end()) as { checkpoint?: { heads?: unknown } } | null;
    if (this.heldBack && document?.checkpoint && typeof document.checkpoint === 'object') {
      document.checkpoint.heads = this.heldBack;
    }
    const signed = parseOrUnreadable(signedCheckpointSchema, document, this.key);
    const { heads, ...fields } = signed.checkpoint;
    if (this.streaming) {
      // Fields given again after the heads would be the ones JSON.parse keeps: the part sent is not.
      if (!isDeepStrictEqual(fields, this.streaming.fields)) {
        throw new UnreadableCheckpoint(this.key, 'checkpoint: a field is given twice');
      }
      this.flush();
    } else {
      this.ready.push({ part: 'fields', fields });
      for (let start = 0; start < heads.length; start += HEADS_PER_PART) {
        this.ready.push({ part: 'heads', heads: heads.slice(start, start + HEADS_PER_PART) });
      }
    }
    this.ready.push({ part: 'signature', signature: signed.signature });
  }

  /** The parts read since last asked, in order. */
  take(): CheckpointPart[] {
    this.flush();
    return this.ready.splice(0);
  }

  private headsBegin(checkpoint: Record<string, unknown>): void {
    if (this.streaming || this.heldBack) {
      throw new UnreadableCheckpoint(this.key, 'checkpoint.heads: given twice');
    }
    const fields = fieldsSchema.safeParse(checkpoint);
    if (fields.success) {
      this.streaming = { fields: fields.data, heads: [] };
      this.ready.push({ part: 'fields', fields: fields.data });
    } else {
      // A field still to come, or one that is wrong: checked with the rest at the end.
      this.heldBack = [];
    }
  }

  private head(head: unknown): void {
    const index = this.headsSeen++;
    if (this.heldBack) this.heldBack.push(head);
    else
      this.streaming?.heads.push(parseOrUnreadable(headSchema, head, this.key, `checkpoint.heads.${index}`));
  }

  private flush(): void {
    if (!this.streaming || this.streaming.heads.length === 0) return;
    this.ready.push({ part: 'heads', heads: this.streaming.heads });
    this.streaming.heads = [];
  }

  private syntax<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof SyntaxError) throw new UnreadableCheckpoint(this.key, 'not JSON');
      throw error;
    }
  }
}
