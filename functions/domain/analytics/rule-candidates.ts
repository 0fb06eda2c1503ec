/**
 * A pattern people always approved: one department's requests for one entitlement, on a system of
 * low or moderate sensitivity, approved every time and never denied in the period. With the Cedar
 * policy that would have auto-approved them, for a governance lead to simulate and publish.
 */
export interface RuleCandidate {
  /** The policy id its Cedar text carries. */
  id: string;
  department: string;
  system: string;
  entitlement: string;
  sensitivity: 'low' | 'moderate';
  /** Requests people approved (every stage), and those policies approved already. */
  approved: number;
  autoApproved: number;
  tickets: string[];
  cedar: string;
  /** The policy simulation of the live set with this rule added, once one was started (the weekly report starts one). */
  simulation: { jobId: string } | null;
}

/** A Cedar string literal: backslashes and quotes escaped, as Cedar reads them. */
const cedarString = (text: string) => `"${text.replace(/[\\"]/g, (character) => `\\${character}`)}"`;

/** A policy id (lowercase letters, digits, dots, dashes, underscores) naming the pattern. */
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

export function ruleCandidateOf(pattern: {
  department: string;
  system: string;
  entitlement: string;
  sensitivity: 'low' | 'moderate';
  approved: number;
  autoApproved: number;
  approvedTickets: string[];
}): RuleCandidate {
  const id = `candidate-${slug(pattern.department)}-${slug(pattern.entitlement)}`.slice(0, 100);
  const reason = `${pattern.entitlement} on ${pattern.system} for ${pattern.department}: approved by people ${pattern.approved} times and never denied`;
  const cedar = [
    `@id(${cedarString(id)})`,
    `@reason(${cedarString(reason)})`,
    'permit (',
    '  principal is Tollgate::Person,',
    '  action == Tollgate::Action::"autoApprove",',
    `  resource == Tollgate::Entitlement::${cedarString(pattern.entitlement)}`,
    ')',
    `when { principal.department == ${cedarString(pattern.department)} };`,
  ].join('\n');
  return {
    id,
    department: pattern.department,
    system: pattern.system,
    entitlement: pattern.entitlement,
    sensitivity: pattern.sensitivity,
    approved: pattern.approved,
    autoApproved: pattern.autoApproved,
    tickets: pattern.approvedTickets,
    cedar,
    simulation: null,
  };
}
