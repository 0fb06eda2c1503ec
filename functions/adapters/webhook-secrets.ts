import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { WebhookSecrets } from '../app/ports';

/** Empty until an operator sets them (a deployment creates each integration's secret so): every signature is then refused. */
const secretListSchema = z.array(z.string().startsWith('whsec_'));

/** Long enough that a busy integration costs few GetSecretValue calls; a rotation is read at once anyway (`fresh`). */
const CACHE_SECONDS = 300;
/** The least time between two reads of one secret forced by a signature that matched no cached secret. */
const FRESH_READ_INTERVAL_MS = 1000;

/**
 * Each integration's secrets from Secrets Manager, through Powertools' SecretsProvider (cached per
 * process). The same code reads the local endpoint under `npm start`: the SDK client finds it in
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, as the other clients find theirs.
 */
export class SecretsManagerWebhookSecrets implements WebhookSecrets {
  private readonly provider: SecretsProvider;
  private readonly freshReadAt = new Map<string, number>();

  constructor(client = new SecretsManagerClient({})) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  async secretsOf(secretId: string, options: { fresh?: boolean } = {}): Promise<string[]> {
    const now = Date.now();
    const forceFetch =
      options.fresh === true && now - (this.freshReadAt.get(secretId) ?? 0) >= FRESH_READ_INTERVAL_MS;
    if (forceFetch) this.freshReadAt.set(secretId, now);
    const value = await this.provider.get(secretId, { maxAge: CACHE_SECONDS, forceFetch, transform: 'json' });
    const parsed = secretListSchema.safeParse(value);
    // Named without its value: a secret never reaches a log.
    if (!parsed.success) throw new Error(`The secret ${secretId} is not a JSON list of whsec_ secrets`);
    return parsed.data;
  }
}
