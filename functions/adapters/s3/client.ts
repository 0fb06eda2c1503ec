import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * An S3 client as Tollgate uses it. The endpoint comes from the SDK's own settings
 * (AWS_ENDPOINT_URL_S3), which is how the local runtime points the same code at its local S3, or
 * from `options`; an endpoint of our own is addressed path-style, since `bucket.127.0.0.1` names
 * no host. Checksums are sent and checked only where an operation requires them: S3 checks each
 * body's integrity itself, and the local endpoint reads plain bodies only.
 */
export function createS3Client(options: S3ClientConfig = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({
    forcePathStyle: options.endpoint !== undefined || env.AWS_ENDPOINT_URL_S3 !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...options,
  });
}
