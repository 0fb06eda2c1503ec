import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompiledPolicySet, InvalidPolicySetError } from '../../../functions/adapters/cedar/engine';
import { compilePolicyFolder, readPolicyFolder } from '../../../functions/adapters/cedar/policy-files';
import { policySetVersion } from '../../../functions/domain/policy/policy-set';
import { policiesFolder } from '../../support/policies';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A copy of the project's policies/ with `files` added or replaced. */
function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'tollgate-policies-'));
  folders.push(folder);
  cpSync(policiesFolder, folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

function problemsOf(run: () => unknown): InvalidPolicySetError['problems'] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidPolicySetError) return error.problems;
    throw error;
  }
  throw new Error('The set was accepted');
}

describe("the project's policies/ folder", () => {
  it('is valid against its schema, with every policy named', () => {
    // Act
    const { folder, compiled } = compilePolicyFolder(policiesFolder);
    // Assess
    expect(Object.keys(folder.policies).sort()).toEqual(Object.keys(compiled.policies).sort());
    expect(compiled.version).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('a policy folder that Cedar refuses', () => {
  it('names the policy, its file and the line of an attribute the schema does not have', () => {
    // Prepare: the typo is on line 4 of the file
    const folder = folderWith({
      'extra.cedar': `// A rule with a typo\n@id("typo")\npermit (principal, action == Tollgate::Action::"autoApprove", resource)\nwhen { resource.klass == "read" };\n`,
    });
    // Act
    const problems = problemsOf(() => compilePolicyFolder(folder));
    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        policyId: 'typo',
        file: 'extra.cedar',
        line: 4,
        message: expect.stringContaining('klass'),
      }),
    ]);
  });

  it('names the file and line of a syntax error', () => {
    // Prepare
    const folder = folderWith({
      'broken.cedar': `@id("broken")\npermit (principal, action, resource)\nwhen { 1 == };\n`,
    });
    // Act
    const problems = problemsOf(() => readPolicyFolder(folder));
    // Assess
    expect(problems).toEqual([expect.objectContaining({ file: 'broken.cedar', line: 3 })]);
  });

  it('refuses a policy without an @id, and an id used twice, pointing at both places', () => {
    // Prepare
    const folder = folderWith({
      'zz-more.cedar': `permit (principal, action == Tollgate::Action::"requireManager", resource);\n\n@id("manager-approval")\npermit (principal, action == Tollgate::Action::"requireManager", resource);\n`,
    });
    // Act
    const problems = problemsOf(() => readPolicyFolder(folder));
    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        policyId: null,
        file: 'zz-more.cedar',
        line: 1,
        message: expect.stringContaining('@id'),
      }),
      expect.objectContaining({
        policyId: 'manager-approval',
        file: 'zz-more.cedar',
        line: 3,
        message: expect.stringMatching(/already used \(stages\.cedar, line \d+\)/),
      }),
    ]);
  });

  it('refuses a cap that is not an ISO 8601 duration', () => {
    // Prepare
    const folder = folderWith({
      'cap.cedar': `@id("bad-cap")\n@maxDuration("8 hours")\npermit (principal, action == Tollgate::Action::"requireManager", resource);\n`,
    });
    // Act
    const problems = problemsOf(() => compilePolicyFolder(folder));
    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        policyId: 'bad-cap',
        file: 'cap.cedar',
        message: expect.stringContaining('8 hours'),
      }),
    ]);
  });

  it('says what is wrong with the schema, and where', () => {
    // Prepare
    const folder = folderWith({
      'schema.cedarschema': 'namespace Tollgate {\n  entity Person = { status: Strin };\n}\n',
    });
    // Act
    const problems = problemsOf(() => compilePolicyFolder(folder));
    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'schema.cedarschema',
        line: 2,
        message: expect.stringContaining('Strin'),
      }),
    ]);
  });

  it('says so at start-up in one message naming each problem', () => {
    // Prepare
    const folder = folderWith({
      'broken.cedar': `@id("broken")\npermit (principal, action, resource) when { 1 == };\n`,
    });
    // Act + Assess
    expect(() => compilePolicyFolder(folder)).toThrow(
      /policy set is not valid: the policy set \(broken\.cedar, line 2\)/,
    );
  });
});

describe('a policy set sent as an id-to-text map', () => {
  const { folder } = compilePolicyFolder(policiesFolder);

  it('is refused when a policy’s @id is not the id it is sent under', () => {
    // Act
    const problems = problemsOf(() =>
      CompiledPolicySet.compile(folder.schema, {
        renamed: '@id("other")\npermit (principal, action == Tollgate::Action::"requireManager", resource);',
      }),
    );
    // Assess
    expect(problems).toEqual([
      expect.objectContaining({ policyId: 'renamed', message: expect.stringContaining('@id("other")') }),
    ]);
  });

  it('has one version for the same policies in any order, and another for any change', () => {
    // Prepare
    const reversed = Object.fromEntries(Object.entries(folder.policies).reverse());
    const changed = { ...folder.policies, 'manager-approval': `${folder.policies['manager-approval']} ` };
    // Act + Assess
    expect(policySetVersion(reversed)).toBe(policySetVersion(folder.policies));
    expect(policySetVersion(changed)).not.toBe(policySetVersion(folder.policies));
  });
});
