import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readDeployConfig } from '../../lib/config';
import { resourcesOfType, synth } from './synth';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123';

const configFrom = (context: Record<string, unknown>) => readDeployConfig(new App({ context }).node);

describe('the deployment settings', () => {
  it('have defaults, so a fresh clone synthesizes without any', () => {
    // Act
    const config = configFrom({});

    // Assess
    expect(config).toEqual({
      stackPrefix: 'Tollgate',
      senderAddress: 'Tollgate <tollgate@example.com>',
      reportRecipients: [],
      sesSandboxRecipients: [],
      oauthCallbackUrls: [],
      oauthLogoutUrls: [],
      logRetentionDays: 90,
      auditObjectLockMode: 'GOVERNANCE',
      auditRetentionDays: 400,
      weeklyReportTimeZone: 'UTC',
      webhookIntegrations: [
        { name: 'hr', events: ['identity.created', 'identity.updated', 'identity.departed'] },
        { name: 'provisioning', events: ['fulfilment.completed', 'fulfilment.failed'] },
        { name: 'servicedesk', events: ['ticket.create'] },
      ],
      webhookSubscribers: [],
    });
  });

  it('take lists and numbers as the command line gives them, as strings', () => {
    // Act
    const config = configFrom({
      senderAddress: 'Access desk <access@example.org>',
      reportRecipients: 'ciso@example.org, audit@example.org',
      logRetentionDays: '365',
      publicBaseUrl: 'https://access.example.org/',
      sesSandboxRecipients: 'erin@example.org,ian@example.org',
    });

    // Assess
    expect(config).toMatchObject({
      senderAddress: 'Access desk <access@example.org>',
      reportRecipients: ['ciso@example.org', 'audit@example.org'],
      sesSandboxRecipients: ['erin@example.org', 'ian@example.org'],
      logRetentionDays: 365,
      publicBaseUrl: 'https://access.example.org',
    });
  });

  it.each([
    [{ logRetentionDays: '10' }, 'logRetentionDays: must be one of the CloudWatch Logs retention periods'],
    [{ senderAddress: 'tollgate' }, 'senderAddress: must be an email address'],
    [{ reportRecipients: 'ciso@example.org,audit' }, 'reportRecipients.1: must be a list of email addresses'],
    [{ publicBaseUrl: 'http://access.example.org' }, 'publicBaseUrl: must be an https:// URL'],
    [
      { sesConfigurationSet: 'tollgate events' },
      'sesConfigurationSet: must be the name of an SES configuration set',
    ],
    [
      { sesSandboxRecipients: 'erin@example.org,erin' },
      'sesSandboxRecipients.1: must be a list of email addresses',
    ],
    [{ customDomain: 'access.example.org' }, 'certificateArn: customDomain and certificateArn go together'],
    [{ certificateArn: CERTIFICATE }, 'customDomain: customDomain and certificateArn go together'],
    [
      { customDomain: 'access.example.org', certificateArn: 'abc' },
      'certificateArn: must be an ACM certificate ARN',
    ],
    [{ adminDefaultMaxDuration: '7 days' }, 'adminDefaultMaxDuration: must be an ISO 8601 duration'],
    [
      { oauthCallbackUrls: 'http://console.example.org/callback' },
      'oauthCallbackUrls.0: must be an absolute https:// URL (http:// only for localhost), without a #fragment',
    ],
    [
      { oauthCallbackUrls: 'https://console.example.org/#/callback' },
      'oauthCallbackUrls.0: must be an absolute https:// URL (http:// only for localhost), without a #fragment',
    ],
    [{ oauthCallbackUrls: 'console.example.org' }, 'oauthCallbackUrls.0: must be an absolute https:// URL'],
    [
      { oauthLogoutUrls: 'https://console.example.org/' },
      'oauthLogoutUrls: logout URLs need oauthCallbackUrls: without them the app client has no sign-in flow',
    ],
    [{ weeklyReportSchedule: 'rate(7 days)' }, 'weeklyReportSchedule: must be a cron() expression'],
    [
      { weeklyReportSchedule: 'cron(0 7 * * 2 *)' },
      'weeklyReportSchedule: cron(0 7 * * 2 *): exactly one of',
    ],
    [
      { weeklyReportSchedule: 'cron(0 7 ? * 2 *)', weeklyReportTimeZone: 'Berlin' },
      'weeklyReportTimeZone: Unknown time zone "Berlin"',
    ],
    [{ stackPrefix: 'tollgate_prod' }, 'stackPrefix: must be a letter, then up to 29 letters'],
    [{ stackPrefix: '2nd' }, 'stackPrefix: must be a letter, then up to 29 letters'],
    [{ stackPrefix: 'T'.repeat(31) }, 'stackPrefix: must be a letter, then up to 29 letters'],
    [
      { webhookSubscribers: '[{"name":"siem","url":"http://siem.example.org/","events":["grant.ended"]}]' },
      'webhookSubscribers.0.url: must be an https:// URL',
    ],
    [
      {
        webhookSubscribers: '[{"name":"siem","url":"https://siem.example.org/","events":["grant.revoked"]}]',
      },
      'webhookSubscribers.0.events.0',
    ],
    [
      {
        webhookSubscribers:
          '[{"name":"siem","url":"https://a.example.org/","events":["grant.ended"]},{"name":"siem","url":"https://b.example.org/","events":["grant.ended"]}]',
      },
      'webhookSubscribers: names each subscriber once',
    ],
    [{ webhookSubscribers: '[{"name":"siem"' }, 'webhookSubscribers: must be JSON such as'],
  ])('refuse %o with a message naming the setting', (context, message) => {
    // Act
    const reading = () => configFrom(context);

    // Assess
    expect(reading).toThrow(message);
  });

  it('serve the API on the custom domain, which emailed links then use', () => {
    // Act
    const { templates } = synth({
      context: { customDomain: 'access.example.org', certificateArn: CERTIFICATE },
    });

    // Assess
    templates.stateless.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'access.example.org',
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: CERTIFICATE })],
    });
    templates.stateless.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    for (const fn of Object.values(resourcesOfType(templates.stateless, 'AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment).toMatchObject({
        Variables: { PUBLIC_BASE_URL: 'https://access.example.org' },
      });
    }
  });

  it('let publicBaseUrl name where emailed links point', () => {
    // Act
    const { templates } = synth({ context: { publicBaseUrl: 'https://tollgate.example.org/' } });

    // Assess
    for (const fn of Object.values(resourcesOfType(templates.stateless, 'AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment).toMatchObject({
        Variables: { PUBLIC_BASE_URL: 'https://tollgate.example.org' },
      });
    }
  });

  it('let sesConfigurationSet name the configuration set emails go through, and leave it out when unset', () => {
    // Act
    const configured = synth({ context: { sesConfigurationSet: 'tollgate-events' } }).templates.stateless;
    const unset = synth().templates.stateless;

    // Assess
    const variables = (template: typeof unset) =>
      Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map(
        (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      );
    for (const each of variables(configured)) expect(each.SES_CONFIGURATION_SET).toBe('tollgate-events');
    for (const each of variables(unset)) expect(each).not.toHaveProperty('SES_CONFIGURATION_SET');
  });

  it('let adminDefaultMaxDuration cap admin entitlements without a maxDuration, and leave the functions their default when unset', () => {
    // Act
    const configured = synth({ context: { adminDefaultMaxDuration: 'P1M' } }).templates.stateless;
    const unset = synth().templates.stateless;

    // Assess
    const variables = (template: typeof unset) =>
      Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map(
        (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      );
    for (const each of variables(configured)) expect(each.ADMIN_DEFAULT_MAX_DURATION).toBe('P1M');
    for (const each of variables(unset)) expect(each).not.toHaveProperty('ADMIN_DEFAULT_MAX_DURATION');
  });

  it('let weeklyReportSchedule and weeklyReportTimeZone say when the weekly report goes out, Mondays 07:00 UTC when unset', () => {
    // Act
    const weeklyReport = (context: Record<string, unknown>) =>
      Object.values(resourcesOfType(synth({ context }).templates.stateless, 'AWS::Scheduler::Schedule'))
        .map((schedule) => schedule.Properties)
        .find((properties) => String(properties.Name).endsWith('weekly-report'));
    const configured = weeklyReport({
      weeklyReportSchedule: 'cron(30 8 ? * 6 *)',
      weeklyReportTimeZone: 'Europe/Berlin',
    });
    const unset = weeklyReport({});

    // Assess
    expect(configured).toMatchObject({
      ScheduleExpression: 'cron(30 8 ? * 6 *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
    expect(unset).toMatchObject({
      ScheduleExpression: 'cron(0 7 ? * 2 *)',
      ScheduleExpressionTimezone: 'UTC',
    });
  });

  it('give the functions reportRecipients as the addresses the weekly report is emailed to', () => {
    // Act
    const configured = synth({ context: { reportRecipients: 'ciso@example.org,audit@example.org' } })
      .templates.stateless;
    const unset = synth().templates.stateless;

    // Assess
    const variables = (template: typeof unset) =>
      Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map(
        (fn) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      );
    for (const each of variables(configured))
      expect(each.ANALYTICS_RECIPIENTS).toBe('ciso@example.org,audit@example.org');
    for (const each of variables(unset)) expect(each).not.toHaveProperty('ANALYTICS_RECIPIENTS');
  });

  it('warn at synth while the sender address is the placeholder', () => {
    // Act
    const { stacks } = synth({ context: { senderAddress: undefined } });

    // Assess
    Annotations.fromStack(stacks.stateless).hasWarning(
      '*',
      Match.stringLikeRegexp('senderAddress is not set'),
    );
  });
});
