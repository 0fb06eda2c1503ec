import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, table as schema } from '../../functions/adapters/dynamodb/table';
import { resourcesOfType, synth } from './synth';

describe('the stateful stack', () => {
  let stateful: ReturnType<typeof synth>['templates']['stateful'];
  beforeAll(() => {
    stateful = synth().templates.stateful;
  });

  it('builds the table with the keys, indexes and projections the local store is created with', () => {
    // Prepare: what the local bootstrap creates, from the same schema module
    const local = createTableInput('tollgate');

    // Act
    const tables = Object.values(resourcesOfType(stateful, 'AWS::DynamoDB::Table'));

    // Assess
    expect(tables).toHaveLength(1);
    const properties = tables[0]?.Properties as Record<string, unknown>;
    expect(properties.KeySchema).toEqual(local.KeySchema);
    expect(properties.AttributeDefinitions).toEqual(expect.arrayContaining(local.AttributeDefinitions));
    expect(properties.AttributeDefinitions).toHaveLength(local.AttributeDefinitions.length);
    expect(properties.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(properties.TimeToLiveSpecification).toEqual({
      AttributeName: schema.timeToLiveAttribute,
      Enabled: true,
    });
  });

  it('keeps the table on-demand, recoverable to the second, protected from deletion and retained', () => {
    // Act & Assess
    stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it('signs people in by verified email with a strong password and an authenticator app, and retains the pool', () => {
    // Act & Assess
    stateful.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        DeletionProtection: 'ACTIVE',
        Policies: {
          PasswordPolicy: Match.objectLike({
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          }),
        },
      }),
    });
  });

  it('lets no app client user change the email that names them in the directory', () => {
    // Act
    const clients = Object.values(resourcesOfType(stateful, 'AWS::Cognito::UserPoolClient'));

    // Assess
    expect(clients).toHaveLength(1);
    expect(clients[0]?.Properties.WriteAttributes).toEqual(['name']);
    expect(clients[0]?.Properties.GenerateSecret).toBe(false);
  });

  it('offers no OAuth flow at all, and so no implicit flow and no placeholder callback URL, while no callback URL is set', () => {
    // Act
    const [client] = Object.values(resourcesOfType(stateful, 'AWS::Cognito::UserPoolClient'));

    // Assess
    expect(client?.Properties.ExplicitAuthFlows).toEqual([
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
    ]);
    expect(client?.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(client?.Properties).not.toHaveProperty('AllowedOAuthFlows');
    expect(client?.Properties).not.toHaveProperty('CallbackURLs');
    expect(client?.Properties).not.toHaveProperty('LogoutURLs');
  });

  it('offers only the authorization-code flow, back to the callback and logout URLs the settings give, when they are set', () => {
    // Act
    const { templates } = synth({
      context: {
        oauthCallbackUrls: 'https://console.example.org/callback, http://localhost:5173/callback',
        oauthLogoutUrls: 'https://console.example.org/',
      },
    });
    const clients = Object.values(resourcesOfType(templates.stateful, 'AWS::Cognito::UserPoolClient'));

    // Assess
    expect(clients).toHaveLength(1);
    expect(clients[0]?.Properties).toMatchObject({
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['https://console.example.org/callback', 'http://localhost:5173/callback'],
      LogoutURLs: ['https://console.example.org/'],
      SupportedIdentityProviders: ['COGNITO'],
      GenerateSecret: false,
    });
  });
});
