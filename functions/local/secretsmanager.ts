import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { demoIntegrations } from '../domain/webhooks';
import { type Action, AwsJsonApiError, serveJson10 } from './stepfunctions/protocol';

class ResourceNotFound extends AwsJsonApiError {
  readonly type = 'ResourceNotFoundException';
}
class InvalidRequest extends AwsJsonApiError {
  readonly type = 'InvalidRequestException';
}
class InvalidParameter extends AwsJsonApiError {
  readonly type = 'InvalidParameterException';
}

/** Integration name to its `whsec_` secrets, newest first: every one verifies, so a secret rotates without downtime. */
const secretsFileSchema = z.record(z.string().min(1), z.array(z.string().startsWith('whsec_')).min(1));
type SecretsFile = z.infer<typeof secretsFileSchema>;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** Where `npm run webhook -- listen` listens, and so where the demo's provisioning webhooks and outbound events go. */
export const DEFAULT_LISTEN_PORT = 3009;

export const webhookSecretsFile = (dataDir: string) => join(dataDir, 'webhook-secrets.json');

/** The secrets file, made with one secret per demo integration on first start. */
export function loadOrCreateWebhookSecrets(dataDir: string): { file: string; created: boolean } {
  const file = webhookSecretsFile(dataDir);
  if (existsSync(file)) {
    readSecretsFile(file);
    return { file, created: false };
  }
  writeSecretsFile(
    file,
    Object.fromEntries(demoIntegrations.map(({ name }) => [name, [newWebhookSecret()]])),
  );
  return { file, created: true };
}

function readSecretsFile(file: string): SecretsFile {
  const parsed = secretsFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file} must map each integration to a list of whsec_ secrets: ${parsed.error.message}`);
  }
  return parsed.data;
}

function writeSecretsFile(file: string, secrets: SecretsFile): void {
  // Written aside and renamed, so a crash never leaves half a file of secrets.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

const secretIdSchema = z.object({ SecretId: z.string().min(1).max(2048) });
const putSchema = secretIdSchema.extend({
  SecretString: z.string().min(1),
  ClientRequestToken: z.string().optional(),
});

/**
 * A local endpoint speaking the Secrets Manager protocol (AWS JSON 1.1, `X-Amz-Target:
 * secretsmanager.<Action>`) over the webhook secrets file: GetSecretValue, PutSecretValue and
 * ListSecrets, so the adapter that reads Secrets Manager in AWS reads the file here unchanged. A
 * secret's value is the JSON list of its integration's secrets; a secret is named by its
 * integration or its local ARN. The file is read on each call, so an edit by hand takes effect.
 */
export async function startLocalSecretsManager(opts: {
  dataDir: string;
  server: Server;
  region: string;
  account: string;
  log: (line: string) => void;
}): Promise<{
  url: string;
  file: string;
  created: boolean;
  ensure(names: readonly string[]): void;
  close(): Promise<void>;
}> {
  const { file, created } = loadOrCreateWebhookSecrets(opts.dataDir);
  const arnOf = (name: string) => `arn:aws:secretsmanager:${opts.region}:${opts.account}:secret:${name}`;
  const nameOf = (id: string) => (id.startsWith(arnOf('')) ? id.slice(arnOf('').length) : id);
  const existing = (id: string): { name: string; secrets: SecretsFile } => {
    const secrets = readSecretsFile(file);
    const name = nameOf(id);
    if (!Object.hasOwn(secrets, name)) {
      throw new ResourceNotFound("Secrets Manager can't find the specified secret.");
    }
    return { name, secrets };
  };
  const parse = <T>(schema: z.ZodType<T>, request: unknown): T => {
    const parsed = schema.safeParse(request);
    if (!parsed.success) throw new InvalidParameter(parsed.error.issues[0]?.message ?? 'Invalid request');
    return parsed.data;
  };
  const actions: Record<string, Action> = {
    GetSecretValue: async (request) => {
      const { name, secrets } = existing(parse(secretIdSchema, request).SecretId);
      return {
        ARN: arnOf(name),
        Name: name,
        VersionId: randomUUID(),
        SecretString: JSON.stringify(secrets[name]),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      };
    },
    PutSecretValue: async (request) => {
      const put = parse(putSchema, request);
      const { name, secrets } = existing(put.SecretId);
      let value: unknown;
      try {
        value = JSON.parse(put.SecretString);
      } catch {
        throw new InvalidRequest('SecretString must be a JSON list of whsec_ secrets');
      }
      const list = secretsFileSchema.valueType.safeParse(value);
      if (!list.success) throw new InvalidRequest('SecretString must be a JSON list of whsec_ secrets');
      writeSecretsFile(file, { ...secrets, [name]: list.data });
      opts.log(`secretsmanager: new value for ${name}`);
      return {
        ARN: arnOf(name),
        Name: name,
        VersionId: put.ClientRequestToken ?? randomUUID(),
        VersionStages: ['AWSCURRENT'],
      };
    },
    ListSecrets: async () => ({
      SecretList: Object.keys(readSecretsFile(file)).map((name) => ({ ARN: arnOf(name), Name: name })),
    }),
  };
  const served = await serveJson10(opts.server, actions, opts.log, {
    targetPrefix: 'secretsmanager.',
    namespace: 'com.amazonaws.secretsmanager',
    contentType: 'application/x-amz-json-1.1',
  });
  return {
    ...served,
    file,
    created,
    /** Makes a secret for each name that has none (a subscriber added to the configuration), naming each. */
    ensure: (names: readonly string[]) => {
      const secrets = readSecretsFile(file);
      const missing = names.map(nameOf).filter((name) => !Object.hasOwn(secrets, name));
      if (missing.length === 0) return;
      writeSecretsFile(file, {
        ...secrets,
        ...Object.fromEntries(missing.map((name) => [name, [newWebhookSecret()]])),
      });
      opts.log(`secretsmanager: made a webhook secret for ${missing.join(', ')} in ${file}`);
    },
  };
}
