import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { webhookSecretsFile } from './secretsmanager';

/** The local integrations' secrets, as `npm start` keeps them. */
export const localWebhookSecrets = (dataDir: string): Record<string, string[]> =>
  JSON.parse(readFileSync(webhookSecretsFile(dataDir), 'utf8')) as Record<string, string[]>;

export interface SignedSend {
  id?: string;
  /** When the message claims it was sent: now unless given. */
  at?: Date;
  /** The exact body to sign and send, instead of `{type, timestamp, data}`. */
  rawBody?: string;
}

/** Signs (Standard Webhooks) and posts an event to `url`, as an integration does. */
export async function sendSignedWebhook(
  url: string,
  secret: string,
  event: { type: string; data: Record<string, unknown> },
  options: SignedSend = {},
): Promise<{
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}> {
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const at = options.at ?? new Date();
  const body = options.rawBody ?? JSON.stringify({ ...event, timestamp: at.toISOString() });
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}
