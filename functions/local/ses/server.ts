import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { type OutgoingEmail, type RawOutgoingEmail, writeToOutbox } from './outbox';

export interface LocalSesOptions {
  outboxDir: string;
  /** 0 picks any free port. */
  port: number;
  log?: (line: string) => void;
  /** Called between writing a message and making it visible, where the fault tests crash. */
  beforeCommit?: () => void;
}

export interface LocalSes {
  url: string;
  close(): Promise<void>;
}

/** Thrown inside a request to answer it with an SESv2 (REST-JSON) error. */
class SesError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new SesError('BadRequestException', 400, message);

const Content = z.object({ Data: z.string(), Charset: z.string().optional() });

// The subset of SendEmailRequest this endpoint serves (SESv2 `POST /v2/email/outbound-emails`).
const SendEmailRequest = z.object({
  FromEmailAddress: z.string(),
  Destination: z.object({
    ToAddresses: z.array(z.string()).optional(),
    CcAddresses: z.array(z.string()).optional(),
    BccAddresses: z.array(z.string()).optional(),
  }),
  Content: z.object({
    Simple: z
      .object({
        Subject: Content,
        Body: z.object({ Text: Content.optional(), Html: Content.optional() }),
      })
      .optional(),
    // The SDK sends the message's bytes as base64 in the JSON body.
    Raw: z.object({ Data: z.base64() }).optional(),
    Template: z.unknown().optional(),
  }),
  ConfigurationSetName: z.string().optional(),
});

/**
 * A local stand-in for Amazon SES (API v2) that stores each sent message as an `.eml` file in
 * `outboxDir` instead of delivering it. Requests are not authenticated: it listens on loopback only.
 */
export async function startLocalSes(opts: LocalSesOptions): Promise<LocalSes> {
  await mkdir(opts.outboxDir, { recursive: true });
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      const error =
        err instanceof SesError
          ? err
          : new SesError('InternalFailure', 500, `Local SES failed: ${String(err)}`);
      if (error.status >= 500) opts.log?.(`ses: ${error.message}`);
      send(res, error.status, { message: error.message }, error.type);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: LocalSesOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname;
  if (req.method !== 'POST' || path !== '/v2/email/outbound-emails') {
    throw new SesError(
      'NotFoundException',
      404,
      `Local SES serves only SendEmail, not ${req.method} ${path}`,
    );
  }
  const { email, recipients, subject } = await toOutgoingEmail(await readJson(req));
  const id = await writeToOutbox(opts.outboxDir, email, opts.beforeCommit);
  opts.log?.(`ses: ${id} to ${recipients.join(', ')}: ${subject}`);
  send(res, 200, { MessageId: id });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('Request body is not valid JSON');
  }
}

interface Accepted {
  email: OutgoingEmail | RawOutgoingEmail;
  recipients: string[];
  subject: string;
}

async function toOutgoingEmail(body: unknown): Promise<Accepted> {
  const parsed = SendEmailRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`Invalid ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'malformed'}`);
  }
  const { FromEmailAddress, Destination, Content, ConfigurationSetName } = parsed.data;
  if (Destination.BccAddresses?.length) {
    // A Bcc would not appear in the stored message, so the outbox could not show it.
    throw badRequest('Local SES does not support Destination.BccAddresses');
  }
  const to = Destination.ToAddresses ?? [];
  const cc = Destination.CcAddresses ?? [];
  if (to.length + cc.length === 0) throw badRequest('Destination has no recipients');
  for (const address of [FromEmailAddress, ...to, ...cc]) assertAddress(address);
  if (Content.Raw) {
    const raw = Buffer.from(Content.Raw.Data, 'base64');
    // What a mail client would make of it: a message it cannot read is refused, as SES refuses one.
    const message = await simpleParser(raw).catch(() => undefined);
    if (!message?.headers.has('from') || (!message.text && !message.html)) {
      throw badRequest('Content.Raw.Data is not a MIME message with a From header and a body');
    }
    return {
      email: { raw, configurationSetName: ConfigurationSetName },
      recipients: [...to, ...cc],
      subject: message.subject ?? '',
    };
  }
  if (!Content.Simple) throw badRequest('Local SES supports Content.Simple and Content.Raw, not Template');
  const { Subject, Body } = Content.Simple;
  if (!Body.Text && !Body.Html) throw badRequest('Content.Simple.Body needs Text or Html');
  return {
    email: {
      from: FromEmailAddress,
      to,
      cc,
      subject: Subject.Data,
      text: Body.Text?.Data,
      html: Body.Html?.Data,
      configurationSetName: ConfigurationSetName,
    },
    recipients: [...to, ...cc],
    subject: Subject.Data,
  };
}

function assertAddress(value: string): void {
  const mailboxes = addressparser(value, { flatten: true });
  const address = mailboxes[0]?.address ?? '';
  if (mailboxes.length !== 1 || !/^[^\s@]+@[^\s@]+$/.test(address)) {
    throw badRequest(`Illegal address: ${value}`);
  }
}

function send(res: ServerResponse, status: number, body: object, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    // The SDK reads the error code from this header first, as real SES sends it.
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
}
