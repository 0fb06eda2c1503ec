import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyOf } from '../support/history';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';

const root = new URL('../../', import.meta.url).pathname;
const baselineFolder = join(root, 'policies');

/** `npm run policy:simulate -- ...args`, as tsx runs it: the exit code and both streams, never a throw. */
function policySimulate(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/policy-simulate.ts', ...args],
      { cwd: root, env: { ...process.env, TOLLGATE_TOKEN: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

/** A candidate folder: the baseline's schema and policies, with `extra` files beside them. */
function candidateFolder(extra: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'tollgate-candidate-'));
  for (const file of ['schema.cedarschema', 'outcomes.cedar', 'stages.cedar']) {
    copyFileSync(join(baselineFolder, file), join(folder, file));
  }
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(folder, file), text);
  return folder;
}

describe('npm run policy:simulate', () => {
  let tollgate: TestRuntime;
  const folders: string[] = [];

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    const history = historyOf(tollgate);
    // One payroll-read ticket that Erin approved, one she has yet to decide, one wiki-read auto-approved.
    await history.decided(people.alex, { system: 'payroll', entitlement: 'payroll-read' }, 'approve');
    await history.file(people.bo, { system: 'payroll', entitlement: 'payroll-read' });
    await history.file(people.ivan, { system: 'wiki', entitlement: 'wiki-read' });
  }, 60_000);

  afterAll(async () => {
    await tollgate?.close();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('prints what a candidate would change, as sentences and tables, and exits 0', async () => {
    // Prepare
    const folder = candidateFolder({
      'payroll.cedar': `@id("payroll-read-auto")\n@reason("payroll totals are read-only")\npermit (principal, action == Tollgate::Action::"autoApprove", resource == Tollgate::Entitlement::"payroll-read");\n`,
    });
    folders.push(folder);

    // Act
    const run = await policySimulate(['--policies', folder, '--since', '1d', '--url', tollgate.url]);

    // Assess
    console.log(run.stdout);
    console.log(run.stderr);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('3 access tickets examined, 3 replayed, 2 would be decided otherwise');
    expect(run.stdout).toContain(
      '- would auto-approve 1 ticket that people approved, and 1 that people have yet to decide',
    );
    expect(run.stdout).toMatch(/^approved\s+approval_required\s+auto_approved\s+yes\s+1\s+\w+$/m);
    expect(run.stdout).toMatch(/^auto_approved\s+auto_approved\s+auto_approved\s+no\s+1\s+\w+$/m);
    expect(run.stdout).toMatch(/^manager\s+removed\s+2\s/m);
    expect(run.stderr).toMatch(/done: \[#+\] 100% \(3\/3 tickets\)/);
  });

  it('names the policy, its file and line when the folder does not hold a valid set, and exits 1', async () => {
    // Prepare: an attribute the schema does not have, on the third line of the file
    const folder = candidateFolder({
      'typo.cedar': `// A typo\n@id("typo-in-attribute")\npermit (principal, action == Tollgate::Action::"autoApprove", resource)\nwhen { resource.klass == "read" };\n`,
    });
    folders.push(folder);

    // Act
    const run = await policySimulate(['--policies', folder, '--url', tollgate.url]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^policy typo-in-attribute \(typo\.cedar, line 4\): .*klass/m);
    expect(run.stdout).toBe('');
  });

  it('says what is wrong with its arguments, with the usage, and exits 2 without a stack trace', async () => {
    // Act
    const runs = await Promise.all([
      policySimulate(['--policies', baselineFolder, '--frobnicate']),
      policySimulate(['--since', '90d']),
      policySimulate(['--policies', baselineFolder, '--since', 'a while']),
    ]);

    // Assess
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2]);
    expect(runs[0]?.stderr).toContain("Unknown option '--frobnicate'");
    expect(runs[1]?.stderr).toContain('--policies is required');
    expect(runs[2]?.stderr).toContain('--since a while is neither a span');
    for (const run of runs) {
      expect(run.stderr).toContain('npm run policy:simulate -- --policies <folder>');
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('refuses to simulate for someone without an oversight role, saying what the server answered', async () => {
    // Act
    const run = await policySimulate([
      '--policies',
      baselineFolder,
      '--url',
      tollgate.url,
      '--as',
      people.alex,
    ]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('POST /policies/simulations answered 403');
  });
});
