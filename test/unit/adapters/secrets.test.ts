import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { readSecretString } from '../../../functions/adapters/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tollgate-signing-AbCdEf';

describe('readSecretString', () => {
  it('answers the string value of the secret the ARN names', async () => {
    // Prepare
    const secretsManager = mockClient(SecretsManagerClient);
    secretsManager.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: 'x'.repeat(64) });

    // Act
    const value = await readSecretString(ARN, new SecretsManagerClient({}));

    // Assess
    expect(value).toBe('x'.repeat(64));
  });

  it('fails naming the secret when it holds no string value', async () => {
    // Prepare
    const secretsManager = mockClient(SecretsManagerClient);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    // Act
    const reading = readSecretString(ARN, new SecretsManagerClient({}));

    // Assess
    await expect(reading).rejects.toThrow(`The secret ${ARN} has no string value`);
  });
});
