import { Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth } from './synth';

/** Every finding cdk-nag's AWS Solutions pack reports (errors and warnings), as `rule at construct path`. */
function awsSolutionsFindings(app: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}`,
    ),
  );
}

/** Every acknowledgement in the construct tree, with the construct it is on. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AWS Solutions checks', () => {
  let synthesized: ReturnType<typeof synth>;
  beforeAll(() => {
    synthesized = synth({
      context: {
        customDomain: 'access.example.org',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
        publicBaseUrl: 'https://access.example.org',
        reportRecipients: 'governance@example.org',
        sesConfigurationSet: 'tollgate-events',
        sesSandboxRecipients: 'erin@example.org',
        oauthCallbackUrls: 'https://console.example.org/callback',
        oauthLogoutUrls: 'https://console.example.org/',
        stackPrefix: 'Staging',
        webhookSubscribers:
          '[{"name":"siem","url":"https://siem.example.org/tollgate","events":["grant.ended"]}]',
      },
    });
  });

  it('report nothing that is not acknowledged, for the app with every option set', () => {
    // Act
    const findings = awsSolutionsFindings(synthesized.app);

    // Assess
    expect(findings).toEqual([]);
  });

  it('report a finding that nothing acknowledges', () => {
    // Prepare
    const changed = synth({
      change: ({ stateless }) => new Secret(stateless, 'Unrotated'),
    });

    // Act
    const findings = awsSolutionsFindings(changed.app);

    // Assess
    expect(findings).toEqual([expect.stringMatching(/^AwsSolutions-SMG4 at Tollgate-Stateless\/Unrotated/)]);
  });

  it('are acknowledged resource by resource, never for a whole stack, each with a reason', () => {
    // Act
    const found = acknowledgements(synthesized.app);

    // Assess
    expect(found.length).toBeGreaterThan(0);
    for (const { path, id, reason } of found) {
      expect(path.split('/').length, `${id} on ${path}`).toBeGreaterThan(1);
      expect(reason.length, `${id} on ${path}`).toBeGreaterThan(40);
    }
  });
});
