import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { synth } from './synth';

const run = promisify(execFile);

/**
 * cfn-lint's findings on the templates, one per line. W3005 (a DependsOn that a GetAtt already
 * implies) is left out: CDK writes those DependsOn itself, on every function's role and policy.
 */
async function cfnLint(templatePaths: string[]): Promise<string> {
  try {
    await run('cfn-lint', ['--ignore-checks', 'W3005', '--format', 'parseable', '--', ...templatePaths]);
    return '';
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number | string; stdout: string; stderr: string };
    if (code === 'ENOENT') throw new Error('cfn-lint is not on PATH (pip install cfn-lint)');
    return `${stdout}${stderr}`.trim();
  }
}

describe('cfn-lint', () => {
  const folder = mkdtempSync(join(tmpdir(), 'tollgate-cfn-lint-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  function writeTemplates(name: string, synthesized: ReturnType<typeof synth>): string[] {
    return Object.entries(synthesized.templates).map(([stack, template]) => {
      const path = join(folder, `${name}-${stack}.template.json`);
      writeFileSync(path, JSON.stringify(template.toJSON(), null, 1));
      return path;
    });
  }

  it('finds nothing in the templates, with the defaults and with every setting given', async () => {
    // Prepare
    const paths = [
      ...writeTemplates('defaults', synth()),
      ...writeTemplates(
        'configured',
        synth({
          context: {
            customDomain: 'access.example.org',
            certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
            publicBaseUrl: 'https://access.example.org',
            reportRecipients: 'governance@example.org',
            sesConfigurationSet: 'tollgate-events',
            sesSandboxRecipients: 'erin@example.org',
            logRetentionDays: '365',
            oauthCallbackUrls: 'https://console.example.org/callback',
            oauthLogoutUrls: 'https://console.example.org/',
            stackPrefix: 'Staging',
            webhookSubscribers:
              '[{"name":"siem","url":"https://siem.example.org/tollgate","events":["grant.ended"]}]',
          },
        }),
      ),
    ];

    // Act
    const findings = await cfnLint(paths);

    // Assess
    expect(findings).toBe('');
    // Two synths and cfn-lint over four templates: about 12 seconds on a quiet machine. The bound
    // guards against a hang and leaves a loaded one room.
  }, 90_000);

  it('reports an error in a template', async () => {
    // Prepare
    const path = join(folder, 'broken.template.json');
    writeFileSync(
      path,
      JSON.stringify({
        Resources: { Table: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'FREE' } } },
      }),
    );

    // Act
    const findings = await cfnLint([path]);

    // Assess
    expect(findings).toMatch(/:E\d+:/);
  });
});
