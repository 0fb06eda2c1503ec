import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerWebhookSecrets } from '../../functions/adapters/webhook-secrets';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

describe('the local Secrets Manager endpoint', () => {
  let tollgate: TollgateProcess;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    tollgate = await startTollgate();
    const { secretsmanager } = await new TollgateClient(tollgate.url).endpoints();
    client = new SecretsManagerClient({
      endpoint: secretsmanager,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    await tollgate.stop();
    removeDataDir(tollgate.dataDir);
  });

  it('lists a secret for each demo integration', async () => {
    // Prepare
    const list = new ListSecretsCommand({});

    // Act
    const { SecretList } = await client.send(list);

    // Assess
    expect(SecretList?.map(({ Name }) => Name).sort()).toEqual(['hr', 'provisioning', 'servicedesk']);
  });

  it('answers a secret as the JSON list of the file, readable by its owner only', async () => {
    // Prepare
    const file = join(tollgate.dataDir, 'webhook-secrets.json');

    // Act
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'hr' }));

    // Assess
    expect(JSON.parse(SecretString ?? '')).toEqual(JSON.parse(readFileSync(file, 'utf8')).hr);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('prints where the secrets are, never the secrets themselves', async () => {
    // Prepare
    const { hr } = JSON.parse(readFileSync(join(tollgate.dataDir, 'webhook-secrets.json'), 'utf8'));

    // Act
    const output = tollgate.output();

    // Assess
    expect(output).toContain(join(tollgate.dataDir, 'webhook-secrets.json'));
    expect(output).not.toContain(hr[0].slice('whsec_'.length));
  });

  it('keeps a new value in the file, as a rotation adds a secret before the old one goes', async () => {
    // Prepare
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: 'provisioning' }));
    const rotated = [`whsec_${Buffer.alloc(32, 7).toString('base64')}`, ...JSON.parse(SecretString ?? '[]')];

    // Act
    await client.send(
      new PutSecretValueCommand({ SecretId: 'provisioning', SecretString: JSON.stringify(rotated) }),
    );

    // Assess
    const file = JSON.parse(readFileSync(join(tollgate.dataDir, 'webhook-secrets.json'), 'utf8'));
    expect(file.provisioning).toEqual(rotated);
  });

  it('answers ResourceNotFoundException for a secret it does not hold', async () => {
    // Prepare
    const get = new GetSecretValueCommand({ SecretId: 'nobody' });

    // Act
    const failure = await client.send(get).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ResourceNotFoundException);
  });

  it('serves the adapter the handlers use, as Secrets Manager does in AWS', async () => {
    // Prepare
    const secrets = new SecretsManagerWebhookSecrets(client);

    // Act
    const hr = await secrets.secretsOf('hr');

    // Assess
    expect(hr).toEqual(JSON.parse(readFileSync(join(tollgate.dataDir, 'webhook-secrets.json'), 'utf8')).hr);
  });
});
