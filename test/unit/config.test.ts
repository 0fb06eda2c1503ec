import { describe, expect, it } from 'vitest';
import { readConfig } from '../../functions/config';

const required = {
  TABLE_NAME: 'tollgate',
  SIGNING_SECRET: 'x'.repeat(32),
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:access-request',
  POLICY_SIMULATION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:policy-simulation',
  REVOCATION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:grant-revocation',
  AUDIT_EXPORT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:audit-export',
  EXPORTS_BUCKET: 'tollgate-exports',
  GRANT_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/grant-scheduler',
  GRANT_SCHEDULE_DEAD_LETTER_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:grant-schedule-dead-letters',
  SENDER_ADDRESS: 'Tollgate <tollgate@example.com>',
  PUBLIC_BASE_URL: 'https://access.example.org',
  AUDIT_BUCKET: 'tollgate-audit',
  AUDIT_SIGNING_KEY_ARN: 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

describe('the functions’ settings', () => {
  it('cap admin entitlements without a maxDuration at P7D unless ADMIN_DEFAULT_MAX_DURATION says otherwise', () => {
    // Act
    const defaults = readConfig(required);
    const set = readConfig({ ...required, ADMIN_DEFAULT_MAX_DURATION: 'P1M' });

    // Assess
    expect([defaults.adminDefaultMaxDuration, set.adminDefaultMaxDuration]).toEqual(['P7D', 'P1M']);
  });

  it('refuse an ADMIN_DEFAULT_MAX_DURATION that is not an ISO 8601 duration, naming it', () => {
    // Act
    const reading = () => readConfig({ ...required, ADMIN_DEFAULT_MAX_DURATION: '7 days' });

    // Assess
    expect(reading).toThrow('ADMIN_DEFAULT_MAX_DURATION: must be an ISO 8601 duration');
  });

  it('refuse both audit signing keys at once, or neither, naming AUDIT_SIGNING_KEY_ARN', () => {
    // Prepare
    const { AUDIT_SIGNING_KEY_ARN, ...withoutKey } = required;

    // Act
    const neither = () => readConfig(withoutKey);
    const both = () => readConfig({ ...required, AUDIT_SIGNING_KEY_FILE: '.tollgate/audit-signing-key.pem' });

    // Assess
    expect(neither).toThrow('AUDIT_SIGNING_KEY_ARN: set exactly one of');
    expect(both).toThrow('AUDIT_SIGNING_KEY_ARN: set exactly one of');
  });
});
