import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../functions/adapters/s3/client';
import { startLocalS3 } from '../../functions/local/s3';

export const LOCAL_S3_BUCKET = 'tollgate-audit';
export const localS3Credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface TestS3 {
  url: string;
  client: S3Client;
  /** Sets the endpoint's clock (undefined: the real one), to expire presigned URLs. */
  setClock(at: Date | undefined): void;
  close(): Promise<void>;
}

/** The local S3 endpoint alone, on a free port over a fresh folder, with a client of Tollgate's factory. */
export async function startTestS3(): Promise<TestS3> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-s3-'));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  let clock: Date | undefined;
  const s3 = await startLocalS3({
    dataDir,
    buckets: [LOCAL_S3_BUCKET],
    server,
    credentials: localS3Credentials,
    now: () => clock ?? new Date(),
  });
  const client = createS3Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: localS3Credentials,
    maxAttempts: 1,
  });
  return {
    url,
    client,
    setClock: (at) => {
      clock = at;
    },
    close: async () => {
      client.destroy();
      await s3.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
