import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookSecrets, WebhookSender } from '../app/ports';
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
      const at = new Date();
      const body = JSON.stringify({ type: event.type, timestamp: at.toISOString(), data: event.data });
      try {
        const response = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(TIMEOUT_MS),
          headers: {
            'content-type': 'application/json',
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': new Webhook(secret).sign(event.id, at, body),
          },
          body,
        });
        await response.body?.cancel();
        if (response.ok) return true;
        this.options.log('Webhook not taken', { ...context, attempt, status: response.status });
      } catch (error) {
        this.options.log('Webhook not delivered', { ...context, attempt, error: (error as Error).name });
      }
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    return false;
  }
}
