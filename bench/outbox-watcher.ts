import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { decodeTime } from 'ulid';

/** What a person does with an email: the ticket it is about, and the link that decides it. */
export interface EmailedAction {
  kind: 'approval' | 'fulfilment';
  ticketId: string;
  link: string;
  /** When the local SES wrote it (epoch ms, from the ULID that names its file). */
  sentAt: number;
}

/** One email of the outbox as the bench reads it. */
export interface OutboxEmail {
  subject: string;
  html: string;
  /** When the local SES wrote it (epoch ms, from the ULID that names its file). */
  sentAt: number;
}

/**
 * Reads the local outbox folder as the people it writes to would: every new approval or fulfilment
 * email, oldest first, handed to `onEmail` with its link. Other emails are skipped.
 * Reads the folder directly, not `GET /dev/outbox`, so watching costs the server nothing.
 */
export function watchOutbox(
  outboxDir: string,
  onEmail: (action: EmailedAction) => void,
  pollMs: number,
): { stop(): Promise<void> } {
  const seen = new Set<string>();
  let watching = true;
  const reading = (async () => {
    while (watching) {
      const names = (await emailFiles(outboxDir)).filter((name) => !seen.has(name));
      for (const name of names) {
        seen.add(name);
        const email = await readEmail(outboxDir, name);
        const subject = /^(Approval needed|To fulfil): .*\((\w+)\)$/.exec(email.subject);
        const link = /href="([^"]*\/a\/[A-Za-z0-9_-]+)"/.exec(email.html)?.[1];
        if (!subject?.[2] || !link) continue;
        onEmail({
          kind: subject[1] === 'Approval needed' ? 'approval' : 'fulfilment',
          ticketId: subject[2],
          link,
          sentAt: email.sentAt,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  return {
    stop: async () => {
      watching = false;
      await reading;
    },
  };
}

/** The names of the emails in the outbox, oldest first; none while the folder does not exist yet. */
export async function emailFiles(outboxDir: string): Promise<string[]> {
  return (await readdir(outboxDir).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.eml') && !name.startsWith('.'))
    .sort();
}

export async function readEmail(outboxDir: string, name: string): Promise<OutboxEmail> {
  const mail = await simpleParser(await readFile(join(outboxDir, name)));
  return {
    subject: mail.subject ?? '',
    html: mail.html || '',
    sentAt: decodeTime(name.slice(0, -'.eml'.length)),
  };
}
