import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { DeliverySender, WebhookSecrets, WebhookSender } from '../app/ports';
import { type AttemptResult, type Subscriber, subscriberSecretId } from '../domain/outbound/deliveries';
import { type OutboundEvent, outboundPayload } from '../domain/outbound/events';
import type { Integration } from '../domain/webhooks';

/** Loopback, private, link-local, carrier-grade NAT and unspecified ranges: no webhook goes there in AWS (SSRF). */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  internal.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::ffff:0:0', 96],
] as const)
  internal.addSubnet(network, prefix, 'ipv6');

export class RefusedTargetError extends Error {
  override readonly name = 'RefusedTargetError';
}

/** Refuses a target on an internal address unless allowed; names the target, never a secret. */
export async function assertPublicTarget(url: string, allowInternal: boolean): Promise<void> {
  const target = new URL(url);
  if (allowInternal) return;
  if (target.protocol !== 'https:') throw new RefusedTargetError(`${target.origin} is not https`);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  for (const { address, family } of addresses) {
    if (internal.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      throw new RefusedTargetError(`${target.origin} resolves to an internal address`);
    }
  }
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

/**
 * One signed POST (Standard Webhooks: `webhook-id`, `webhook-timestamp` now, `webhook-signature`
 * with one `v1,` signature per secret, so a receiver rotating its secret verifies with either).
 * Redirects are not followed; the answer's body is not read. Never throws: it says what happened,
 * without a secret.
 */
export async function postSigned(
  url: string,
  secrets: readonly string[],
  message: { id: string; body: (timestamp: Date) => string },
): Promise<{ ok: boolean; result: string }> {
  const at = new Date();
  const body = message.body(at);
  try {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        'content-type': 'application/json',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': secrets
          .map((secret) => new Webhook(secret).sign(message.id, at, body))
          .join(' '),
      },
      body,
    });
    await response.body?.cancel();
    return { ok: response.ok, result: `HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return { ok: false, result: `timed out after ${TIMEOUT_MS / 1000} s` };
    const code = ((error as Error).cause as { code?: unknown } | undefined)?.code;
    return {
      ok: false,
      result: `could not connect${typeof code === 'string' ? ` (${code})` : ` (${name})`}`,
    };
  }
}

/**
 * Posts signed events (Standard Webhooks, the integration's newest secret) to the integration's
 * target: configuration's URL for it, else the catalog's. A few quick attempts with backoff; what
 * is still not taken is sent again by the caller's next step (the fulfilment's reminder).
 */
export class StandardWebhookSender implements WebhookSender {
  constructor(
    private readonly secrets: WebhookSecrets,
    private readonly options: {
      integrations: readonly Integration[];
      targets: Record<string, string>;
      allowInternalTargets: boolean;
      log: (message: string, details: Record<string, unknown>) => void;
    },
  ) {}

  async send(
    target: { integration: string; url: string },
    event: { id: string; type: string; data: object },
  ): Promise<boolean> {
    const url = this.options.targets[target.integration] ?? target.url;
    const context = { integration: target.integration, target: new URL(url).origin, webhookId: event.id };
    try {
      await assertPublicTarget(url, this.options.allowInternalTargets);
    } catch (error) {
      this.options.log('Webhook target refused', { ...context, reason: (error as Error).message });
      return false;
    }
    const integration = this.options.integrations.find(({ name }) => name === target.integration);
    const [secret] = await this.secrets.secretsOf(integration?.secretId ?? target.integration);
    if (!secret) {
      this.options.log('Webhook not sent: the integration has no secret', context);
      return false;
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const sent = await postSigned(url, [secret], {
        id: event.id,
        body: (at) => JSON.stringify({ type: event.type, timestamp: at.toISOString(), data: event.data }),
      });
      if (sent.ok) return true;
      this.options.log('Webhook not delivered', { ...context, attempt, result: sent.result });
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    return false;
  }
}

/**
 * Delivers outbound events to subscribers: one attempt per call (the dispatcher retries), signed
 * with every secret of the subscriber's secret, to its configured URL, which must be public unless
 * internal targets are allowed (locally, or by configuration). The body is the event's payload:
 * `{type, version, timestamp, data}`, `timestamp` being when the change happened.
 */
export class SubscriberSender implements DeliverySender {
  constructor(
    private readonly secrets: WebhookSecrets,
    private readonly options: { allowInternalTargets: boolean },
  ) {}

  async send(subscriber: Subscriber, delivery: { id: string; event: OutboundEvent }): Promise<AttemptResult> {
    try {
      await assertPublicTarget(subscriber.url, this.options.allowInternalTargets);
    } catch (error) {
      return { ok: false, result: `refused: ${(error as Error).message}` };
    }
    const secretId = subscriberSecretId(subscriber);
    let secrets: string[];
    try {
      secrets = await this.secrets.secretsOf(secretId);
    } catch (error) {
      return {
        ok: false,
        result: `not sent: the secret ${secretId} cannot be read (${(error as Error).name})`,
      };
    }
    if (secrets.length === 0)
      return { ok: false, result: `not sent: the secret ${secretId} holds no whsec_ secret` };
    const payload = JSON.stringify(outboundPayload(delivery.event));
    return postSigned(subscriber.url, secrets, { id: delivery.event.id, body: () => payload });
  }
}
