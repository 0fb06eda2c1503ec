import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BadDigest, BucketFolder, ObjectExists, type ObjectInfo } from './objects';
import { type Credentials, queryPairs, SignatureError, verifySigV4 } from './sigv4';

export interface LocalS3Options {
  /** Each bucket is a folder under `{dataDir}/s3`. */
  dataDir: string;
  /** The buckets that exist, as the stack creates them in AWS; others answer NoSuchBucket. */
  buckets: string[];
  /** An HTTP server already listening (functions/local/ports.ts); its request handler is attached here. */
  server: Server;
  /** The only credentials whose signatures are accepted, in headers or presigned URLs. */
  credentials: Credentials;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface LocalS3 {
  close(): Promise<void>;
}

/** Thrown inside a request to answer it with an S3 (REST-XML) error. */
class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const LIST_MAX_KEYS = 1000;

/**
 * A local stand-in for Amazon S3: path-style requests signed with SigV4 (the runtime's local
 * credentials), serving exactly what Tollgate uses: PutObject (If-None-Match: * refuses an
 * existing key; an x-amz-checksum-sha256 is checked), GetObject, HeadObject, ListObjectsV2 (with
 * a delimiter too, for `aws s3 ls`), multipart uploads and presigned GETs. There is no versioning and no Object Lock: an object on disk can be changed by anyone who can
 * write the data folder.
 */
export async function startLocalS3(opts: LocalS3Options): Promise<LocalS3> {
  const buckets = new Map<string, BucketFolder>();
  for (const name of opts.buckets) {
    await mkdir(join(opts.dataDir, 's3'), { recursive: true });
    buckets.set(name, await BucketFolder.open(join(opts.dataDir, 's3', name)));
  }
  const now = opts.now ?? (() => new Date());
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, buckets, opts.credentials, now()).catch((err: unknown) => {
      const error =
        err instanceof S3Error
          ? err
          : err instanceof SignatureError
            ? new S3Error(err.code, err.code === 'AuthorizationQueryParametersError' ? 400 : 403, err.message)
            : new S3Error('InternalError', 500, `Local S3 failed: ${String(err)}`);
      if (error.status >= 500) opts.log?.(`s3: ${error.message}`);
      sendError(req, res, error);
    });
  };
  opts.server.on('request', listener);
  return {
    close: async () => {
      opts.server.off('request', listener);
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  buckets: Map<string, BucketFolder>,
  credentials: Credentials,
  now: Date,
): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  verifySigV4({ method, rawUrl, headers: req.headers }, credentials, now);
  if (req.headers['content-encoding']?.includes('aws-chunked')) {
    throw new S3Error(
      'NotImplemented',
      501,
      'Local S3 does not read aws-chunked bodies: create the client with requestChecksumCalculation WHEN_REQUIRED',
    );
  }
  const rawPath = rawUrl.split('?')[0] ?? '/';
  const [, bucketName = '', ...keyParts] = rawPath.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  const bucket = buckets.get(decodeURIComponent(bucketName));
  if (!bucket) throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist');
  const query = new Map(queryPairs(rawUrl));
  if (key === '') {
    if (method === 'GET' && query.get('list-type') === '2')
      return listObjects(res, bucketName, bucket, query);
    throw notImplemented(method, 'the bucket');
  }
  const uploadId = query.get('uploadId');
  switch (method) {
    case 'PUT': {
      const contentType = req.headers['content-type'] ?? 'application/octet-stream';
      if (uploadId !== undefined) {
        const partNumber = Number(query.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
          throw new S3Error(
            'InvalidArgument',
            400,
            'Part number must be an integer between 1 and 10000, inclusive',
          );
        }
        const etag = await bucket.putPart(key, uploadId, partNumber, req);
        if (!etag) throw noSuchUpload();
        return send(res, 200, '', { ETag: etag });
      }
      if (req.headers['x-amz-copy-source']) throw notImplemented('CopyObject', key);
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
        throw new S3Error('NotImplemented', 501, 'Local S3 supports only If-None-Match: *');
      }
      try {
        const checksum = req.headers['x-amz-checksum-sha256'];
        const etag = await bucket.put(key, req, {
          contentType,
          ifNoneMatch: ifNoneMatch === '*',
          ...(typeof checksum === 'string' ? { sha256: checksum } : {}),
        });
        return send(res, 200, '', {
          ETag: etag,
          ...(typeof checksum === 'string' ? { 'x-amz-checksum-sha256': checksum } : {}),
        });
      } catch (error) {
        if (error instanceof BadDigest) {
          throw new S3Error(
            'BadDigest',
            400,
            'The SHA256 you specified did not match the calculated checksum.',
          );
        }
        if (error instanceof ObjectExists) {
          throw new S3Error(
            'PreconditionFailed',
            412,
            'At least one of the pre-conditions you specified did not hold',
          );
        }
        throw error;
      }
    }
    case 'GET':
    case 'HEAD': {
      if (uploadId !== undefined) throw notImplemented('ListParts', key);
      const info = await bucket.info(key);
      if (!info) throw new S3Error('NoSuchKey', 404, 'The specified key does not exist.');
      res.writeHead(200, objectHeaders(info));
      if (method === 'HEAD') {
        res.end();
        return;
      }
      await pipeline(bucket.read(key), res);
      return;
    }
    case 'POST': {
      if (query.has('uploads')) {
        const contentType = req.headers['content-type'] ?? 'application/octet-stream';
        const id = await bucket.createUpload(key, contentType);
        return sendXml(
          res,
          `<InitiateMultipartUploadResult><Bucket>${xml(bucketName)}</Bucket><Key>${xml(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      if (uploadId !== undefined) {
        const parts = parseParts(await readText(req));
        const result = await bucket.completeUpload(key, uploadId, parts);
        if (result === 'NoSuchUpload') throw noSuchUpload();
        if (typeof result === 'string') throw partProblem(result);
        return sendXml(
          res,
          `<CompleteMultipartUploadResult><Location>${xml(`/${bucketName}/${key}`)}</Location><Bucket>${xml(bucketName)}</Bucket><Key>${xml(key)}</Key><ETag>${xml(result.etag)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
      throw notImplemented(method, key);
    }
    case 'DELETE': {
      if (uploadId === undefined) throw notImplemented('DeleteObject', key);
      if (!(await bucket.abortUpload(key, uploadId))) throw noSuchUpload();
      return send(res, 204, '');
    }
    default:
      throw notImplemented(method, key);
  }
}

async function listObjects(
  res: ServerResponse,
  bucketName: string,
  bucket: BucketFolder,
  query: Map<string, string>,
): Promise<void> {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const startAfter = query.get('start-after') ?? '';
  const token = query.get('continuation-token');
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === undefined ? LIST_MAX_KEYS : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3Error('InvalidArgument', 400, 'max-keys must be a non-negative integer');
  }
  const after = token === undefined ? startAfter : Buffer.from(token, 'base64url').toString('utf8');
  const limit = Math.min(maxKeys, LIST_MAX_KEYS);
  // With a delimiter, the keys under one "folder" are one common prefix, as `aws s3 ls` lists them.
  const entries: ({ key: string } | { commonPrefix: string })[] = [];
  let truncated = false;
  for (const key of await bucket.keys(prefix, after)) {
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const commonPrefix = cut < 0 ? undefined : key.slice(0, cut + delimiter.length);
    const last = entries.at(-1);
    if (commonPrefix !== undefined && last && 'commonPrefix' in last && last.commonPrefix === commonPrefix)
      continue;
    if (entries.length === limit) {
      truncated = true;
      break;
    }
    entries.push(commonPrefix === undefined ? { key } : { commonPrefix });
  }
  const infos = (
    await Promise.all(entries.map((entry) => ('key' in entry ? bucket.info(entry.key) : undefined)))
  ).filter((info): info is ObjectInfo => info !== undefined);
  const contents = infos
    .map(
      (info) =>
        `<Contents><Key>${xml(info.key)}</Key><LastModified>${info.lastModified.toISOString()}</LastModified><ETag>${xml(info.etag)}</ETag><Size>${info.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
  const commonPrefixes = entries
    .flatMap((entry) => ('commonPrefix' in entry ? [entry.commonPrefix] : []))
    .map((commonPrefix) => `<CommonPrefixes><Prefix>${xml(commonPrefix)}</Prefix></CommonPrefixes>`)
    .join('');
  const last = entries.at(-1);
  // After a common prefix, the next page starts past every key under it.
  const resumeAfter = last && ('key' in last ? last.key : `${last.commonPrefix}\uffff`);
  sendXml(
    res,
    `<ListBucketResult><Name>${xml(bucketName)}</Name><Prefix>${xml(prefix)}</Prefix>` +
      (delimiter ? `<Delimiter>${xml(delimiter)}</Delimiter>` : '') +
      (startAfter ? `<StartAfter>${xml(startAfter)}</StartAfter>` : '') +
      (token !== undefined ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '') +
      `<KeyCount>${entries.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
      (truncated && resumeAfter !== undefined
        ? `<NextContinuationToken>${Buffer.from(resumeAfter, 'utf8').toString('base64url')}</NextContinuationToken>`
        : '') +
      `${contents}${commonPrefixes}</ListBucketResult>`,
  );
}

function parseParts(body: string): { partNumber: number; etag: string }[] {
  const parts = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, inner = '']) => ({
    partNumber: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(inner)?.[1]),
    etag: unxml(/<ETag>([\s\S]*?)<\/ETag>/.exec(inner)?.[1] ?? ''),
  }));
  if (parts.some((part) => !Number.isInteger(part.partNumber) || part.etag === '')) {
    throw new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate');
  }
  return parts;
}

function partProblem(problem: 'InvalidPart' | 'InvalidPartOrder' | 'EntityTooSmall'): S3Error {
  const messages = {
    InvalidPart: 'One or more of the specified parts could not be found.',
    InvalidPartOrder: 'The list of parts was not in ascending order.',
    EntityTooSmall: 'Your proposed upload is smaller than the minimum allowed object size.',
  };
  return new S3Error(problem, 400, messages[problem]);
}

const noSuchUpload = () =>
  new S3Error('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid.');
const notImplemented = (operation: string, target: string) =>
  new S3Error('NotImplemented', 501, `Local S3 does not serve ${operation} on ${target}`);

function objectHeaders(info: ObjectInfo): Record<string, string | number> {
  return {
    'Content-Type': info.contentType,
    'Content-Length': info.size,
    ETag: info.etag,
    'Last-Modified': info.lastModified.toUTCString(),
    'Accept-Ranges': 'none',
  };
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unxml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendXml(res: ServerResponse, body: string): void {
  send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { 'Content-Type': 'application/xml' });
}

function sendError(req: IncomingMessage, res: ServerResponse, error: S3Error): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  // A request body left unread would be taken for the next request on a kept-alive connection.
  req.resume();
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${xml(error.message)}</Message></Error>`;
  res.writeHead(error.status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
