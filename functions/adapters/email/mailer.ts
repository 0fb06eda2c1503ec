import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import MailComposer from 'nodemailer/lib/mail-composer';

import { TransientError } from '../../app/errors';
import type { EmailMessage, Mailer } from '../../app/ports';

export type { EmailMessage, Mailer };
export { TransientError };

// Error names SES uses when it is asking the caller to slow down.
const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling']);
// Network failures the SDK gave up on after its own retries: the next attempt may well get through.
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);

/**
 * Sends through Amazon SES (API v2) in AWS, or through the local SES endpoint in local mode. Every
 * message goes out as raw MIME composed here, so one with inline images (`cid:` parts) is sent the
 * same way as one without, and both runtimes send the very bytes composed.
 */
export class SesMailer implements Mailer {
  readonly #client: SESv2Client;
  readonly #from: string;
  readonly #configurationSetName: string | undefined;

  constructor(client: SESv2Client, from: string, configurationSetName?: string) {
    this.#client = client;
    this.#from = from;
    this.#configurationSetName = configurationSetName;
  }

  async send(message: EmailMessage): Promise<{ messageId: string }> {
    const command = new SendEmailCommand({
      FromEmailAddress: this.#from,
      Destination: { ToAddresses: message.to },
      ConfigurationSetName: this.#configurationSetName,
      Content: { Raw: { Data: await composeMime(this.#from, message) } },
    });
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.#client.send(command));
    } catch (err) {
      if (isTransient(err)) throw new TransientError(`SES send failed: ${describe(err)}`, { cause: err });
      throw err;
    }
    if (!messageId) throw new Error('SES accepted the message but answered no MessageId');
    return { messageId };
  }
}

/** The message as MIME: text and HTML as alternatives, inline parts related to the HTML. */
export async function composeMime(from: string, message: EmailMessage): Promise<Uint8Array> {
  const composer = new MailComposer({
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    attachments: (message.attachments ?? []).map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: Buffer.from(attachment.content),
      ...(attachment.cid ? { cid: attachment.cid } : {}),
    })),
  });
  return new Uint8Array(await composer.compile().build());
}

function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { $fault, $metadata, code } = err as Error & {
    $fault?: 'client' | 'server';
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  const status = $metadata?.httpStatusCode ?? 0;
  return (
    THROTTLING.has(err.name) ||
    $fault === 'server' ||
    status === 429 ||
    status >= 500 ||
    err.name === 'TimeoutError' ||
    NETWORK.has(code ?? '')
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
