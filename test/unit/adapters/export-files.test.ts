import {
  CompleteMultipartUploadCommand,
  HeadObjectCommand,
  NoSuchUpload,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3ExportFiles } from '../../../functions/adapters/s3/export-files';

const s3 = mockClient(S3Client);
const files = () =>
  new S3ExportFiles(
    new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'A', secretAccessKey: 'S' } }),
    'exports-bucket',
  );

afterEach(() => {
  s3.reset();
});

const gone = () => new NoSuchUpload({ message: 'The upload is gone', $metadata: {} });

describe('S3 export files', () => {
  it('take a completion that a retried step repeats as done when the file is there', async () => {
    // Prepare
    s3.on(CompleteMultipartUploadCommand).rejects(gone());
    s3.on(HeadObjectCommand).resolves({});

    // Act
    const completing = files().complete('exports/J.csv', 'U1', [{ number: 1, etag: '"e1"' }]);

    // Assess
    await expect(completing).resolves.toBeUndefined();
  });

  it('fail a completion whose upload is gone and whose file is not there', async () => {
    // Prepare
    s3.on(CompleteMultipartUploadCommand).rejects(gone());
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: {} }));

    // Act
    const completing = files().complete('exports/J.csv', 'U1', [{ number: 1, etag: '"e1"' }]);

    // Assess
    await expect(completing).rejects.toThrow('The upload is gone');
  });

  it('sign a download link for the file, named, for the seconds asked', async () => {
    // Act
    const link = new URL(await files().link('exports/J.csv', 'audit.csv', 300));

    // Assess
    expect(link.pathname).toContain('exports/J.csv');
    expect(link.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(link.searchParams.get('response-content-disposition')).toBe('attachment; filename="audit.csv"');
  });
});
