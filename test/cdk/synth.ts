import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';

/** The context `cdk synth` reads from cdk.json (the feature flags), so tests synthesize what the CLI would. */
const cdkJsonContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

export interface SynthOptions {
  /** Deployment settings, as `-c name=value` would give them (senderAddress is set unless overridden). */
  context?: Record<string, unknown>;
  /**
   * Synthesize as `cdk synth` does: bundle every function with esbuild and run CDK's built-in
   * template validation (seconds each). Off, functions get placeholder code and cfn-lint does the
   * template checking.
   */
  asTheCli?: boolean;
  outdir?: string;
  /** Changes the stacks before they are synthesized (to show that a test notices a change). */
  change?: (stacks: ReturnType<typeof buildApp>) => void;
}

export function synth(options: SynthOptions = {}) {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.asTheCli === true,
    context: {
      ...cdkJsonContext,
      senderAddress: 'Tollgate <access@example.org>',
      ...(options.asTheCli ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const built = buildApp(app);
  options.change?.(built);
  const { config, stateful, stateless } = built;
  return {
    app,
    config,
    stacks: { stateful, stateless },
    templates: { stateful: Template.fromStack(stateful), stateless: Template.fromStack(stateless) },
  };
}

export type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The resources of one template, of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}
