import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationReport } from '../../functions/domain/audit/verification';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import { accessBody } from '../support/bodies';
import { people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

/**
 * `npm run audit:verify` against the running local system, as the newcomer of docs/audit.md runs
 * it: tickets filed and checkpointed, history changed behind Tollgate's back with the AWS CLI, then
 * the CLI as a child process, reading the local DynamoDB and S3 endpoints directly.
 */
describe('npm run audit:verify and GET /audit/verify', () => {
  let tollgate: TollgateProcess;
  let client: TollgateClient;
  let endpoints: Awaited<ReturnType<TollgateClient['endpoints']>>;
  /** Filed and checkpointed before any test: one stays as it is, one is edited, one deleted. */
  const tickets = { untouched: '', edited: '', deleted: '' };

  beforeAll(async () => {
    tollgate = await startTollgate();
    client = new TollgateClient(tollgate.url);
    endpoints = await client.endpoints();
    for (const name of Object.keys(tickets) as (keyof typeof tickets)[]) {
      const filed = await client.call<{ id: string }>(people.alex, 'POST', '/requests', accessBody());
      // Waiting for approval, the timeline stays as it is until someone decides.
      await client.ticketWhen(people.alex, filed.body.id, (ticket) => ticket.status === 'pending_approval');
      tickets[name] = filed.body.id;
    }
    await client.runSchedule('audit-checkpoint');
  }, 60_000);

  afterAll(async () => {
    await tollgate?.stop();
    if (tollgate) removeDataDir(tollgate.dataDir);
  });

  /** The CLI with the local system's endpoints and data folder; answers its exit code and output. */
  async function auditVerify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--import', 'tsx', 'bin/audit-verify.ts', ...args],
        {
          cwd: root,
          env: {
            ...process.env,
            TOLLGATE_DATA_DIR: tollgate.dataDir,
            AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
            AWS_ENDPOINT_URL_S3: endpoints.s3,
          },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  /** The AWS CLI v1 against the local DynamoDB endpoint, as someone with write access to the table. */
  async function awsDynamodb(...args: string[]): Promise<void> {
    await run(
      'aws',
      ['dynamodb', ...args, '--endpoint-url', endpoints.dynamodb, '--table-name', LOCAL_TABLE_NAME],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      },
    );
  }
  const ticketKey = (id: string) => JSON.stringify({ pk: { S: `TICKET#${id}` }, sk: { S: 'TICKET' } });

  const latestVerification = (as: string) => client.call<VerificationReport>(as, 'GET', '/audit/verify');

  it('answers GET /audit/verify with 404 before the scheduled verification first runs', async () => {
    // Act
    const answer = await latestVerification(people.aude);

    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: 'not_found' } });
  });

  it('verifies an intact history: exit 0, every ticket intact', async () => {
    // Act
    const result = await auditVerify();

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Checkpoints: 1, the latest #1');
    expect(result.stdout).toContain('Chains: 3 (3 tickets, 0 grants): 3 intact, 0 newer, 0 edited');
    expect(result.stdout).toContain('OK: nothing was tampered with');
  });

  it('reports exactly the ticket whose event was edited with the AWS CLI, and exits 1', async () => {
    // Prepare
    await awsDynamodb(
      'update-item',
      '--key',
      ticketKey(tickets.edited),
      '--update-expression',
      'SET timeline[1].actor = :actor',
      '--expression-attribute-values',
      JSON.stringify({ ':actor': { S: 'mallory@example.com' } }),
    );

    // Act
    const result = await auditVerify();

    // Assess
    expect(result.code, result.stderr).toBe(1);
    const tampered = result.stdout.split('\n').filter((line) => line.startsWith('  ticket '));
    expect(tampered).toEqual([`  ticket ${tickets.edited}: edited (event 2: its hash or link is broken)`]);
    expect(result.stdout).toContain('2 intact, 0 newer, 1 edited, 0 truncated, 0 deleted');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a ticket deleted with the AWS CLI as deleted', async () => {
    // Prepare
    await awsDynamodb('delete-item', '--key', ticketKey(tickets.deleted));

    // Act
    const result = await auditVerify();

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`  ticket ${tickets.deleted}: deleted (checkpointed with`);
    expect(result.stdout).not.toContain(`ticket ${tickets.untouched}`);
  });

  it('shows the scheduled verification to auditors and security, and refuses everyone else', async () => {
    // Prepare
    await client.runSchedule('audit-verify');

    // Act
    const auditor = await latestVerification(people.aude);
    const security = await latestVerification(people.sara);
    const admin = await latestVerification(people.ivan);
    const requester = await latestVerification(people.alex);

    // Assess
    expect(auditor.status).toBe(200);
    expect(auditor.body.ok).toBe(false);
    expect(auditor.body.findings.map((finding) => [finding.id, finding.status]).sort()).toEqual(
      [
        [tickets.deleted, 'deleted'],
        [tickets.edited, 'edited'],
      ].sort(),
    );
    expect(security.status).toBe(200);
    expect(admin.status).toBe(403);
    expect(requester.status).toBe(403);
  });

  it('exits 2 with a clear message, and no stack trace, on bad usage', async () => {
    // Act
    const result = await auditVerify('--table', 'Tickets');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^In AWS give both --table and --bucket/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
