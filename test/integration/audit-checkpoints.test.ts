import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3CheckpointStore } from '../../functions/adapters/s3/checkpoint-store';
import { createS3Client } from '../../functions/adapters/s3/client';
import type { CheckpointResult } from '../../functions/app/audit-checkpoints';
import {
  checkpointHash,
  localKeyId,
  type SignedCheckpoint,
  signatureHolds,
} from '../../functions/domain/audit/checkpoint';
import { localCredentials } from '../../functions/local/dynamodb';
import { LOCAL_AUDIT_BUCKET } from '../../functions/local/runtime';
import { githubFlow } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { type Ticket, TollgateClient } from '../support/workflow-client';

const { requester, manager, fulfiller } = githubFlow;

let server: TollgateProcess;
let client: TollgateClient;
let store: S3CheckpointStore;
let publicKey: string;

beforeAll(async () => {
  server = await startTollgate();
  client = new TollgateClient(server.url);
  const s3 = createS3Client({
    endpoint: (await client.endpoints()).s3,
    region: 'us-east-1',
    credentials: localCredentials,
  });
  store = new S3CheckpointStore(s3, LOCAL_AUDIT_BUCKET);
  publicKey = readFileSync(join(server.dataDir, 'audit-signing-key.pub.pem'), 'utf8');
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

async function runCheckpoint(): Promise<CheckpointResult> {
  const response = await fetch(`${server.url}/dev/schedules/audit-checkpoint/run`, { method: 'POST' });
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: CheckpointResult }).result;
}

/** A ticket filed and approved, waiting for its fulfiller: nothing moves it until someone acts. */
async function approvedTicket(): Promise<Ticket> {
  const filed = await client.call<{ id: string }>(requester, 'POST', '/requests', githubFlow.request);
  expect(filed.status).toBe(201);
  const id = filed.body.id;
  await client.submitLink(await client.linkFor(manager, id, 'Approval needed'), { decision: 'approve' });
  await client.linkFor(fulfiller, id, 'To fulfil');
  return client.ticket(requester, id);
}

const headOf = (ticket: Ticket) => {
  const last = ticket.timeline.at(-1);
  return { chain: `ticket:${ticket.id}`, seq: last?.seq, hash: last?.hash };
};

describe('audit checkpoints', () => {
  let first: SignedCheckpoint;
  let ticket: Ticket;

  it('sign the head of a decided ticket into a checkpoint in the local S3 bucket', async () => {
    // Prepare
    ticket = await approvedTicket();

    // Act
    const result = await runCheckpoint();

    // Assess
    expect(result).toMatchObject({ written: true });
    first = (await store.latest()) as SignedCheckpoint;
    expect(first.checkpoint.heads).toContainEqual(headOf(ticket));
    expect(first.checkpoint.keyId).toBe(localKeyId(publicKey));
    expect(signatureHolds(first, publicKey)).toBe(true);
  });

  it('write nothing when nothing changed since the last checkpoint', async () => {
    // Act
    const result = await runCheckpoint();

    // Assess
    expect(result).toEqual({ written: false, reason: 'nothing changed' });
    expect((await store.latest())?.checkpoint.seq).toBe(first.checkpoint.seq);
  });

  it('anchor a later change in the next checkpoint, chained to the one before', async () => {
    // Prepare
    const commented = await client.call<Ticket>(requester, 'POST', `/requests/${ticket.id}/comments`, {
      text: 'Needed for the 4.2 release',
    });
    expect(commented.status).toBe(201);
    const changed = await client.ticket(requester, ticket.id);

    // Act
    const result = await runCheckpoint();

    // Assess
    expect(result).toMatchObject({ written: true, seq: first.checkpoint.seq + 1 });
    const next = (await store.latest()) as SignedCheckpoint;
    expect(next.checkpoint.previous).toBe(checkpointHash(first.checkpoint));
    expect(next.checkpoint.since).toBe(first.checkpoint.at);
    expect(next.checkpoint.heads).toContainEqual(headOf(changed));
    expect(next.checkpoint.heads).not.toContainEqual(headOf(ticket));
    expect(signatureHolds(next, publicKey)).toBe(true);
  });

  it('anchor a grant’s events next to its ticket’s timeline', async () => {
    // Prepare
    const granted = await client.grantThrough(requester, manager, fulfiller, githubFlow.request);

    // Act
    const result = await runCheckpoint();

    // Assess
    expect(result).toMatchObject({ written: true });
    const chains = (await store.latest())?.checkpoint.heads.map((head) => head.chain);
    expect(chains).toEqual(expect.arrayContaining([`ticket:${granted.id}`, `grant:${granted.grant.id}`]));
  });
});
