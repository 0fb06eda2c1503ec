import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Why a request's signature is refused, as S3 names it. */
export class SignatureError extends Error {
  constructor(
    readonly code:
      | 'AccessDenied'
      | 'SignatureDoesNotMatch'
      | 'InvalidAccessKeyId'
      | 'AuthorizationQueryParametersError',
    message: string,
  ) {
    super(message);
  }
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* bare). */
const encode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** The query of a raw URL as decoded name/value pairs, in the order sent. */
export function queryPairs(rawUrl: string): [string, string][] {
  const query = rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : '';
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      const [name, value] = at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
      const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, '%20'));
      return [decode(name), decode(value)];
    });
}

/**
 * Checks an AWS Signature Version 4 (S3 flavour: the path is not encoded again) in the
 * Authorization header or in the query (a presigned URL, refused once X-Amz-Expires has passed).
 * The payload is taken as its x-amz-content-sha256 says; the body itself is not hashed.
 */
export function verifySigV4(
  request: { method: string; rawUrl: string; headers: IncomingHttpHeaders },
  credentials: Credentials,
  now: Date,
): void {
  const pairs = queryPairs(request.rawUrl);
  const query = new Map(pairs);
  const presigned = query.has('X-Amz-Signature');
  const authorization = String(request.headers.authorization ?? '');
  let credential: string;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  if (presigned) {
    credential = query.get('X-Amz-Credential') ?? '';
    signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    signature = query.get('X-Amz-Signature') ?? '';
    amzDate = query.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(query.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800) {
      throw new SignatureError(
        'AuthorizationQueryParametersError',
        'X-Amz-Expires must be a number of seconds from 1 to 604800',
      );
    }
    if (parseAmzDate(amzDate).getTime() + expires * 1000 < now.getTime()) {
      throw new SignatureError('AccessDenied', 'Request has expired');
    }
  } else {
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
        authorization,
      );
    if (!match)
      throw new SignatureError('AccessDenied', 'The request is not signed with AWS Signature Version 4');
    [, credential = '', , signature = ''] = match;
    signedHeaders = (match[2] ?? '').split(';');
    amzDate = String(request.headers['x-amz-date'] ?? '');
    payloadHash = String(request.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD');
  }
  const [accessKeyId, date, region, service, terminal] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId) {
    throw new SignatureError(
      'InvalidAccessKeyId',
      'The AWS access key id you provided does not exist in our records.',
    );
  }
  if (!date || !region || service !== 's3' || terminal !== 'aws4_request' || !amzDate.startsWith(date)) {
    throw new SignatureError(
      'AuthorizationQueryParametersError',
      `Malformed credential scope: ${credential}`,
    );
  }
  const rawPath = request.rawUrl.split('?')[0] ?? '/';
  const canonicalQuery = pairs
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method,
    rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = ['s3', 'aws4_request'].reduce(
    (acc, part) => hmac(acc, part),
    hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region),
  );
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
}

function parseAmzDate(value: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match)
    throw new SignatureError('AuthorizationQueryParametersError', 'X-Amz-Date must be yyyymmddThhmmssZ');
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s));
}
