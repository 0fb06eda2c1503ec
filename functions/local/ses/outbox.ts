import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AddressObject, simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { monotonicFactory } from 'ulid';

export interface OutgoingEmail {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text?: string;
  html?: string;
  configurationSetName?: string;
}

/** A message the sender composed as MIME itself (SESv2 `Content.Raw`): stored as sent, but for its Message-ID. */
export interface RawOutgoingEmail {
  raw: Uint8Array;
  configurationSetName?: string;
}

/** A part of a message other than its text and HTML bodies, as a mail client lists it. */
export interface OutboxAttachment {
  filename: string | null;
  contentType: string;
  /** The Content-ID the HTML refers to as `cid:…`, without angle brackets; null when it has none. */
  cid: string | null;
  size: number;
}

export interface OutboxMessage {
  id: string;
  /** ISO 8601, from the message's Date header. */
  at: string;
  /** Every recipient the message was addressed to: To, then Cc. */
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Absolute http(s) URLs of the HTML part's hrefs, deduplicated, in order of appearance. */
  links: string[];
  attachments: OutboxAttachment[];
}

const EML = '.eml';
// Monotonic so that ids (and so file names) sort in sending order even within one millisecond.
const nextId = monotonicFactory();

/** Composes the message as MIME and stores it as `<id>.eml`; answers the id. */
export async function writeToOutbox(
  outboxDir: string,
  email: OutgoingEmail | RawOutgoingEmail,
  beforeCommit?: () => void,
): Promise<string> {
  const id = nextId();
  const raw = 'raw' in email ? stamped(email, id) : await compose(email, id);

  // Write under a dot-name readOutbox ignores, then rename: a crash leaves either no message or the
  // whole message, never a truncated one in the listing (no fsync: see the checkpoint store).
  await mkdir(outboxDir, { recursive: true });
  const temp = join(outboxDir, `.${id}${EML}.tmp`);
  await writeFile(temp, raw, { flag: 'wx' });
  beforeCommit?.();
  await rename(temp, join(outboxDir, `${id}${EML}`));
  return id;
}

function compose(email: OutgoingEmail, id: string): Promise<Buffer> {
  const composer = new MailComposer({
    from: email.from,
    to: email.to,
    cc: email.cc,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: `<${id}@local-ses.tollgate>`,
    date: new Date(),
    headers: email.configurationSetName ? { 'X-Ses-Configuration-Set': email.configurationSetName } : {},
  });
  return composer.compile().build();
}

/**
 * SES gives a raw message a Message-ID of its own in place of the sender's: here the outbox id, as
 * composed messages carry, so a message is found by the MessageId that SendEmail answered.
 */
function stamped(email: RawOutgoingEmail, id: string): Buffer {
  const raw = Buffer.from(email.raw);
  const end = raw.indexOf('\r\n\r\n');
  const split = end === -1 ? raw.indexOf('\n\n') : end;
  if (split === -1) throw new Error('A raw message needs its headers, a blank line, then its body');
  const newline = end === -1 ? '\n' : '\r\n';
  const headers = raw
    .subarray(0, split)
    .toString('utf8')
    // A header's folded lines begin with whitespace: the Message-ID goes with all of its lines.
    .replace(/^Message-ID:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)/im, '');
  const added = [
    `Message-ID: <${id}@local-ses.tollgate>`,
    ...(email.configurationSetName ? [`X-SES-Configuration-Set: ${email.configurationSetName}`] : []),
  ];
  return Buffer.concat([
    Buffer.from(`${added.join(newline)}${newline}${headers.replace(/(?:\r?\n)+$/, '')}`),
    raw.subarray(split),
  ]);
}

/** Lists the outbox oldest first, as a mail client would see each message. */
export async function readOutbox(outboxDir: string): Promise<OutboxMessage[]> {
  let names: string[];
  try {
    names = await readdir(outboxDir);
  } catch (err) {
    // No folder yet means nothing was sent yet.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = names
    .filter((name) => name.endsWith(EML) && !name.startsWith('.'))
    .map((name) => name.slice(0, -EML.length))
    .sort();
  return Promise.all(ids.map((id) => readMessage(outboxDir, id)));
}

async function readMessage(outboxDir: string, id: string): Promise<OutboxMessage> {
  const parsed = await simpleParser(await readFile(join(outboxDir, `${id}${EML}`)));
  if (!parsed.date) throw new Error(`Outbox message ${id}${EML} has no Date header`);
  const html = parsed.html || '';
  return {
    id,
    at: parsed.date.toISOString(),
    to: [...addresses(parsed.to), ...addresses(parsed.cc)],
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html,
    links: hrefLinks(html),
    attachments: parsed.attachments.map((attachment) => ({
      filename: attachment.filename ?? null,
      contentType: attachment.contentType,
      cid: attachment.cid ?? null,
      size: attachment.size,
    })),
  };
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  if (!header) return [];
  return (Array.isArray(header) ? header : [header])
    .flatMap((object) => object.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .flatMap((entry) => (entry.address ? [entry.address] : []));
}

const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;

function hrefLinks(html: string): string[] {
  const links = new Set<string>();
  for (const match of html.matchAll(HREF)) {
    const url = decodeEntities((match[1] ?? match[2] ?? match[3] ?? '').trim());
    if (/^https?:\/\//i.test(url) && URL.canParse(url)) links.add(url);
  }
  return [...links];
}

// Attribute values are HTML-escaped (`&amp;` between query parameters); a link is only useful
// to a test or a person once decoded the way a browser would.
const NAMED_ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] !== '#') return NAMED_ENTITIES.get(body.toLowerCase()) ?? entity;
    const code =
      body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}
