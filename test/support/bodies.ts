import { people, services } from './seed';

/** Valid request bodies against the demo seed, to copy and change. */

/** The spec's own example: Felix files for the service account he owns. */
export const specExampleBody = {
  type: 'access',
  beneficiary: services.billingExport,
  system: 'payroll',
  entitlement: 'payroll-read',
  justification: 'Monthly export job reads payroll totals',
  urgency: 'normal',
  duration: 'P30D',
  evidence: ['https://jira.example.com/browse/FIN-1234'],
} as const;

export function accessBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'access',
    system: 'wiki',
    entitlement: 'wiki-read',
    justification: 'I need to read the onboarding pages',
    ...overrides,
  };
}

export function supportBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'support',
    category: 'network',
    urgency: 'high',
    description: 'The VPN drops every ten minutes since Monday',
    ...overrides,
  };
}

/** Valid bodies per caller, covering every kind of beneficiary and of entitlement. */
export const validBodiesByCaller: Record<string, Record<string, unknown>[]> = {
  [people.alex]: [
    accessBody(),
    accessBody({ system: 'github', entitlement: 'github-admin', urgency: 'high' }),
    accessBody({
      system: 'payroll',
      entitlement: 'payroll-write',
      duration: 'P7D',
      evidence: ['https://x.example/1'],
    }),
    supportBody(),
  ],
  [people.felix]: [
    { ...specExampleBody },
    accessBody({ beneficiary: services.billingExport, duration: 'PT8H' }),
  ],
  [people.erin]: [
    accessBody({ beneficiary: people.alex }),
    accessBody({ beneficiary: people.bo, system: 'aws-prod', entitlement: 'aws-prod-read' }),
    supportBody({ category: 'hardware', urgency: 'low' }),
  ],
};
