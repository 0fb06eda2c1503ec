import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory-store';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-load-'));
let store: Awaited<ReturnType<typeof startLocalDynamo>>;
let directory: DynamoDirectory;

beforeAll(async () => {
  store = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
  const client = new DynamoDBClient({
    endpoint: store.url,
    region: 'us-east-1',
    credentials: localCredentials,
  });
  directory = new DynamoDirectory(createDocumentClient(client), LOCAL_TABLE_NAME);
});

afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function loadDirectory(...args: string[]) {
  return run(
    process.execPath,
    ['--import', 'tsx', 'bin/load-directory.ts', '--table', LOCAL_TABLE_NAME, ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_DYNAMODB: store.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    },
  );
}

describe('npm run load-directory', () => {
  it('refuses files with a dangling reference, naming it, and writes nothing', async () => {
    // Prepare
    const broken = join(dataDir, 'directory.json');
    writeFileSync(
      broken,
      JSON.stringify({
        identities: [
          {
            id: 'a@x.com',
            kind: 'human',
            name: 'A',
            department: 'D',
            managerId: 'ghost@x.com',
            status: 'active',
          },
        ],
      }),
    );

    // Act
    const attempt = loadDirectory('--directory', broken);

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('unknown identity ghost@x.com'),
    });
    expect(await directory.allIdentities()).toEqual([]);
  });

  it('refuses a catalog whose maxDuration cannot be read, naming the system and entitlement, and writes nothing', async () => {
    // Prepare
    const catalog = JSON.parse(readFileSync(join(root, 'seed/catalog.json'), 'utf8'));
    const payroll = catalog.systems.find((system: { id: string }) => system.id === 'payroll');
    payroll.entitlements.find(
      (entitlement: { id: string }) => entitlement.id === 'payroll-admin',
    ).maxDuration = '8 hours';
    const broken = join(dataDir, 'catalog.json');
    writeFileSync(broken, JSON.stringify(catalog));

    // Act
    const attempt = loadDirectory('--catalog', broken);

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        'system payroll, entitlement payroll-admin: maxDuration "8 hours" is not an ISO 8601 duration',
      ),
    });
    expect(await directory.allIdentities()).toEqual([]);
    expect(await directory.catalog()).toEqual([]);
  });

  it('loads the demo directory and catalog, so routing and the catalog read them', async () => {
    // Act
    const { stdout } = await loadDirectory();

    // Assess
    expect(stdout).toContain('Done.');
    expect(await directory.identity('erin.lead@example.com')).toMatchObject({
      managerId: 'dana.chief@example.com',
    });
    expect((await directory.identitiesWithRole('security')).map((identity) => identity.id).sort()).toEqual([
      'sam.security@example.com',
      'sara.secops@example.com',
    ]);
    expect((await directory.catalog()).map((system) => system.id)).toContain('payroll');
  });

  it('refuses to change a stored entry without the address its emailed links point to, and writes nothing', async () => {
    // Prepare: the demo is loaded (above); Alex departs in this file.
    const people = JSON.parse(readFileSync(join(root, 'seed/directory.json'), 'utf8'));
    people.identities.find((identity: { id: string }) => identity.id === 'alex.dev@example.com').status =
      'departed';
    const changed = join(dataDir, 'people.json');
    writeFileSync(changed, JSON.stringify(people));

    // Act
    const attempt = loadDirectory('--directory', changed);

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Give --url'),
    });
    expect(await directory.identity('alex.dev@example.com')).toMatchObject({ status: 'active' });
  });
});
