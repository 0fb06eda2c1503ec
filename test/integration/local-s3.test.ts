import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3/client';
import { LOCAL_S3_BUCKET, startTestS3, type TestS3 } from '../support/local-s3';

const BUCKET = LOCAL_S3_BUCKET;
const MiB = 1024 * 1024;

describe('local S3 endpoint', () => {
  let s3: TestS3;
  let client: S3Client;

  beforeEach(async () => {
    s3 = await startTestS3();
    client = s3.client;
  });

  afterEach(() => s3.close());

  const put = (Key: string, Body: string, IfNoneMatch?: string) =>
    client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType: 'application/json', IfNoneMatch }),
    );
  const read = async (Key: string) =>
    (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body?.transformToString();

  it('answers GetObject and HeadObject with what PutObject stored', async () => {
    // Prepare
    await put('checkpoints/0000000001.json', '{"seq":1}');

    // Act
    const body = await read('checkpoints/0000000001.json');
    const head = await client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'checkpoints/0000000001.json' }),
    );

    // Assess
    expect(body).toBe('{"seq":1}');
    expect(head).toMatchObject({ ContentType: 'application/json', ContentLength: 9 });
  });

  it('refuses a put with If-None-Match: * over an existing key with 412, keeping the first body', async () => {
    // Prepare
    await put('a.json', 'first', '*');

    // Act
    const second = await put('a.json', 'second', '*').catch(
      (error: { name: string; $metadata: object }) => error,
    );

    // Assess
    expect(second).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await read('a.json')).toBe('first');
  });

  it('answers NoSuchKey for a key never stored', async () => {
    // Act
    const missing = await read('nothing.json').catch((error: Error) => error);

    // Assess
    expect(missing).toMatchObject({ name: 'NoSuchKey' });
  });

  it('lists a prefix in key order, a page of max-keys at a time, from start-after', async () => {
    // Prepare
    for (const n of [3, 1, 5, 2, 4]) await put(`p/${n}`, String(n));
    await put('q/1', 'other prefix');

    // Act
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: 'p/',
          StartAfter: 'p/1',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      pages.push((page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);

    // Assess
    expect(pages).toEqual([
      ['p/2', 'p/3'],
      ['p/4', 'p/5'],
    ]);
  });

  it('lists the keys under a delimiter as common prefixes, a page at a time', async () => {
    // Prepare
    for (const key of ['a/1', 'a/2', 'b/1', 'c', 'd/1/x']) await put(key, key);

    // Act
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages.push([
        ...(page.CommonPrefixes ?? []).map((common) => common.Prefix ?? ''),
        ...(page.Contents ?? []).map((object) => object.Key ?? ''),
      ]);
      token = page.NextContinuationToken;
    } while (token);

    // Assess
    expect(pages).toEqual([
      ['a/', 'b/'],
      ['d/', 'c'],
    ]);
  });

  it('joins the parts of a multipart upload into one object', async () => {
    // Prepare
    const key = 'exports/big.csv';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const first = await client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(5 * MiB, 'a'),
      }),
    );
    const second = await client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: 'tail' }),
    );

    // Act
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: first.ETag },
            { PartNumber: 2, ETag: second.ETag },
          ],
        },
      }),
    );

    // Assess
    const body = await read(key);
    expect(done.ETag).toMatch(/-2"$/);
    expect(body?.length).toBe(5 * MiB + 4);
    expect(body?.endsWith('atail')).toBe(true);
  });

  it('refuses to complete an upload whose part other than the last is under 5 MiB, as S3 does', async () => {
    // Prepare
    const key = 'exports/small.csv';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const parts = [];
    for (const PartNumber of [1, 2]) {
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber, Body: 'small' }),
      );
      parts.push({ PartNumber, ETag });
    }

    // Act
    const refused = await client
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      )
      .catch((error: Error) => error);

    // Assess
    expect(refused).toMatchObject({ name: 'EntityTooSmall' });
  });

  it('forgets an aborted upload', async () => {
    // Prepare
    const key = 'exports/aborted.csv';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));

    // Act
    const refused = await client
      .send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'late' }))
      .catch((error: Error) => error);

    // Assess
    expect(refused).toMatchObject({ name: 'NoSuchUpload' });
  });

  it('serves a presigned GET URL to a plain fetch', async () => {
    // Prepare
    await put('exports/e.csv', 'a,b\n1,2\n');
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'exports/e.csv' }), {
      expiresIn: 60,
    });

    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('a,b\n1,2\n');
  });

  it('refuses a presigned GET URL once it has expired, with 403', async () => {
    // Prepare
    await put('exports/e.csv', 'secret');
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'exports/e.csv' }), {
      expiresIn: 60,
    });
    s3.setClock(new Date(Date.now() + 61_000));

    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('refuses a presigned GET URL whose key was changed, with 403', async () => {
    // Prepare
    await put('exports/mine.csv', 'mine');
    await put('exports/theirs.csv', 'theirs');
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'exports/mine.csv' }),
      {
        expiresIn: 60,
      },
    );

    // Act
    const response = await fetch(url.replace('mine.csv', 'theirs.csv'));

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('refuses a request signed with another secret', async () => {
    // Prepare
    const intruder = createS3Client({
      endpoint: s3.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'guessed' },
      maxAttempts: 1,
    });

    // Act
    const refused = await intruder
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'x' }))
      .catch((error: Error) => error);

    // Assess
    intruder.destroy();
    expect(refused).toMatchObject({ name: 'SignatureDoesNotMatch' });
  });
});
