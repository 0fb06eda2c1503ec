import { describe, expect, it } from 'vitest';
import { sendExpiryNotices } from '../../../functions/app/extensions';
import type { EmailMessage, LinkRecord } from '../../../functions/app/ports';
import type { Identity } from '../../../functions/domain/directory';
import { type Grant, grantFrom } from '../../../functions/domain/grants';
import type { Ticket } from '../../../functions/domain/ticket';
import { completeFulfilment } from '../../../functions/domain/workflow';
import { person, serviceAccount } from '../domain/fixtures';
import { fulfilmentBy, ticket } from '../domain/tickets';

const from = '2026-01-02T09:00:00.000Z';
/** A day before the week's end: the notice is due. */
const noticeTime = new Date('2026-01-08T09:00:01.000Z');

/** A week of wiki-read for `holder`, granted at `from`. */
function granted(holder: string, id = '01J0000000000000000000000'): Ticket {
  return completeFulfilment(
    ticket({
      id,
      beneficiary: holder,
      status: 'fulfilling',
      duration: 'P7D',
      fulfilment: fulfilmentBy(['ops@x.com'], { result: 'done', by: 'ops@x.com', at: from }),
    }),
    new Date(from),
  );
}

/**
 * In memory: the tickets (saved on their version), the grants derived from them (those due by a
 * time, as the NOTICE_DUE index answers), the directory, and what was minted and emailed.
 */
function world(people: Identity[], tickets: Ticket[]) {
  const stored = new Map(tickets.map((each) => [each.id, each]));
  const grants = new Map<string, Grant>();
  for (const each of tickets) {
    const grant = grantFrom(each);
    if (grant) grants.set(grant.id, grant);
  }
  const links: LinkRecord[] = [];
  const sent: EmailMessage[] = [];
  const deps = {
    clock: { now: () => noticeTime },
    settings: { publicBaseUrl: 'https://tollgate.example.com' },
    secrets: { linkToken: () => `token-${links.length}` },
    directory: {
      identity: async (id: string) => people.find((each) => each.id === id),
      system: async () => undefined,
    },
    links: { put: async (link: LinkRecord) => void links.push(link) },
    mailer: { send: async (message: EmailMessage) => void sent.push(message) },
    tickets: {
      get: async (id: string) => stored.get(id),
      save: async (next: Ticket, readVersion: number) => {
        if (stored.get(next.id)?.version !== readVersion) throw new Error('version moved');
        stored.set(next.id, next);
      },
    },
    grants: {
      noticesDue: async (now: Date) =>
        [...grants.values()].filter((grant) => grant.noticeDueAt && grant.noticeDueAt <= now.toISOString()),
      put: async (grant: Grant) => void grants.set(grant.id, grant),
    },
  };
  return {
    run: () => sendExpiryNotices(deps as unknown as Parameters<typeof sendExpiryNotices>[0]),
    links,
    sent,
    ticket: (id: string) => stored.get(id),
  };
}

describe('the expiry notices', () => {
  it('tell the holder once, with a link of their own to extend that works until the grant ends', async () => {
    // Prepare
    const alex = person('alex@x.com');
    const notices = world([alex], [granted(alex.id)]);

    // Act
    const first = await notices.run();
    const second = await notices.run();

    // Assess
    expect([first.sent, second.sent]).toEqual([1, 0]);
    expect(notices.sent.map((message) => message.to)).toEqual([[alex.id]]);
    expect(notices.links).toMatchObject([
      {
        purpose: 'extend',
        identity: alex.id,
        taskId: 'G01J0000000000000000000000',
        expiresAt: '2026-01-09T09:00:00.000Z',
      },
    ]);
    expect(notices.ticket('01J0000000000000000000000')?.timeline.at(-1)).toMatchObject({
      type: 'expiry_notice_sent',
      data: { to: alex.id, until: '2026-01-09T09:00:00.000Z' },
    });
  });

  it('tell a service account’s owner, and record but send nothing to someone no longer active', async () => {
    // Prepare
    const felix = person('felix@x.com');
    const sue = person('sue@x.com', { status: 'suspended' });
    const notices = world(
      [felix, sue, serviceAccount('svc:export', felix.id)],
      [granted('svc:export', '01J0000000000000000000001'), granted(sue.id, '01J0000000000000000000002')],
    );

    // Act
    const result = await notices.run();

    // Assess
    expect(result.sent).toBe(1);
    expect(notices.sent.map((message) => message.to)).toEqual([[felix.id]]);
    expect(notices.links.map((link) => link.identity)).toEqual([felix.id]);
    expect(notices.ticket('01J0000000000000000000002')?.timeline.at(-1)?.type).toBe('expiry_notice_sent');
  });
});
