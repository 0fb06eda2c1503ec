import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../functions/local/local-auth';
import type { OutboxMessage } from '../../functions/local/ses';
import { deployedRoutes } from '../../functions/routes';
import { accessBody, specExampleBody } from '../support/bodies';
import { type ApiClient, apiClient, devToken } from '../support/client';
import { listAll, pageThrough } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, seedIdentity, seedSystems, services } from '../support/seed';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Who may do what, route by route and caller by caller, written by hand from the spec (not derived
 * from the route table) and run against one in-process server.
 *
 * The tickets the cells act on (seed/*.json):
 * - "report": Erin files wiki-read for Alex, her direct report. Erin is excluded from approving
 *   what she requested, so the stage goes to her manager, Dana. Ian is the wiki's fulfiller.
 * - "service": Felix files payroll-read for svc:billing-export, which he owns. The owner does not
 *   approve for their own service account: his manager, Fiona, approves. Ian fulfils payroll.
 * The service-account columns act on the "service" ticket, every other column on the "report" one.
 */
interface InboxItem {
  id: string;
  ticket: { id: string };
}

type Caller =
  | 'requester'
  | 'beneficiary'
  | 'serviceAccountOwner'
  | 'serviceAccountNonOwner'
  | 'otherEmployee'
  | 'approver'
  | 'otherApprover'
  | 'fulfiller'
  | 'auditor'
  | 'security'
  | 'admin'
  | 'anonymous'
  | 'expiredToken'
  | 'otherKeyToken'
  | 'suspended'
  | 'departed';

const callers: Record<Caller, { label: string; identity: string | null; ticket: 'report' | 'service' }> = {
  requester: {
    label: 'the requester (Erin, filing for her report)',
    identity: people.erin,
    ticket: 'report',
  },
  beneficiary: { label: 'the beneficiary (Alex)', identity: people.alex, ticket: 'report' },
  serviceAccountOwner: {
    label: "the service account's owner (Felix, who filed for it)",
    identity: people.felix,
    ticket: 'service',
  },
  serviceAccountNonOwner: {
    label: 'the owner of another service account (Bo)',
    identity: people.bo,
    ticket: 'service',
  },
  otherEmployee: { label: 'another employee (Paula)', identity: people.paula, ticket: 'report' },
  approver: { label: "the ticket's approver (Dana)", identity: people.dana, ticket: 'report' },
  otherApprover: { label: 'an approver of another ticket (Fiona)', identity: people.fiona, ticket: 'report' },
  fulfiller: { label: "the ticket's fulfiller (Ian)", identity: people.ian, ticket: 'report' },
  auditor: { label: 'an auditor (Aude)', identity: people.aude, ticket: 'report' },
  security: { label: 'a security member (Sara)', identity: people.sara, ticket: 'report' },
  admin: { label: 'an admin (Ivan)', identity: people.ivan, ticket: 'report' },
  anonymous: { label: 'an anonymous caller', identity: null, ticket: 'report' },
  expiredToken: { label: 'a caller with an expired token', identity: null, ticket: 'report' },
  otherKeyToken: { label: 'a caller with a token signed with another key', identity: null, ticket: 'report' },
  suspended: { label: 'a suspended identity (Sue)', identity: people.sue, ticket: 'report' },
  departed: { label: 'a departed identity (Dan)', identity: people.dan, ticket: 'report' },
};

/**
 * `status`: the answer. `sees`: for lists and inboxes, whether the cell's ticket (or its task) is
 * in the answer. `gap`: the spec says so but the server does not yet; the cell runs as a known
 * failure until it is fixed (then it fails, and the gap is taken out).
 */
type Cell = number | { status: number; sees?: boolean; gap?: string };

/** A candidate policy set for the simulation cells: every request asks the manager. */
const candidatePolicies = {
  'manager-approval':
    '@id("manager-approval")\npermit (principal, action == Tollgate::Action::"requireManager", resource);',
};

/** An export of the day before now, as CSV. */
const lastDay = () => ({
  from: new Date(Date.now() - 24 * 3600 * 1000).toISOString(),
  to: new Date().toISOString(),
  format: 'csv',
});

const unauthenticated = { anonymous: 401, expiredToken: 401, otherKeyToken: 401 } as const;
/** Spec: "suspended or departed identities get 403". */
const notActive = { suspended: 403, departed: 403 } as const;

/** 200 for admin, auditor and security; 403 for every other active caller. */
function oversightOnly(): Record<Caller, Cell> {
  return {
    requester: 403,
    beneficiary: 403,
    serviceAccountOwner: 403,
    serviceAccountNonOwner: 403,
    otherEmployee: 403,
    approver: 403,
    otherApprover: 403,
    fulfiller: 403,
    auditor: 200,
    security: 200,
    admin: 200,
    ...unauthenticated,
    ...notActive,
  };
}

/** 200 for an admin; 403 for every other active caller, oversight roles included. */
function adminOnly(): Record<Caller, Cell> {
  return { ...oversightOnly(), auditor: 403, security: 403 };
}

const matrix: Record<string, Record<Caller, Cell>> = {
  // Files wiki-read for the cell ticket's beneficiary (Alex, or svc:billing-export). Spec: "A caller
  // may file for themselves, for a service account they own, or for a direct report."
  'POST /requests': {
    requester: 201, // Alex is Erin's direct report
    beneficiary: 201, // for himself
    serviceAccountOwner: 201, // a service account he owns
    serviceAccountNonOwner: 403, // owning svc:ci-deployer gives nothing on svc:billing-export
    otherEmployee: 403,
    approver: 403, // Alex is Dana's report's report, not a direct report
    otherApprover: 403,
    fulfiller: 403,
    auditor: 403, // oversight roles read; they do not file for others
    security: 403,
    admin: 403, // admin manages catalog, directory and policies, not other people's requests
    ...unauthenticated,
    ...notActive,
  },
  // The list without `mine`: "Tickets the caller may see". Visible: requester, beneficiary (or its
  // owner), assigned approvers and fulfillers, auditor and security; `mine=true` narrows to requester
  // and beneficiary, so the list without it includes the tickets one approves or fulfils.
  'GET /requests': {
    requester: { status: 200, sees: true },
    beneficiary: { status: 200, sees: true },
    serviceAccountOwner: { status: 200, sees: true },
    serviceAccountNonOwner: { status: 200, sees: false },
    otherEmployee: { status: 200, sees: false },
    approver: { status: 200, sees: true },
    otherApprover: { status: 200, sees: false },
    fulfiller: { status: 200, sees: true },
    auditor: { status: 200, sees: true },
    security: { status: 200, sees: true },
    admin: { status: 200, sees: false }, // not in the spec's visibility list
    ...unauthenticated,
    ...notActive,
  },
  // Spec: "to anyone else it does not exist (404)".
  'GET /requests/{id}': {
    requester: 200,
    beneficiary: 200,
    serviceAccountOwner: 200, // "its beneficiary (or the beneficiary's owner)"
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 200,
    otherApprover: 404, // approving one ticket shows no other
    fulfiller: 200, // named as the system's fulfiller from intake on
    auditor: 200,
    security: 200,
    admin: 404, // admin manages configuration; tickets are not theirs to read
    ...unauthenticated,
    ...notActive,
  },
  // Files an extension of the cell's time-bound grant. Spec: the holder (or a service account's
  // owner) extends; those who see the grant but do not hold it get 403, anyone else 404.
  'POST /grants/{id}/extend': {
    requester: 404,
    beneficiary: 201,
    serviceAccountOwner: 201,
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 404,
    otherApprover: 404,
    fulfiller: 404,
    auditor: 403,
    security: 403,
    admin: 403, // Ivan owns the wiki: he sees its grants, and extends none
    ...unauthenticated,
    ...notActive,
  },
  // Ends the cell ticket's grant early (a fresh grant per cell). Spec (issue 13): "by the holder, the
  // system owner or security"; to those who do not see the grant (GET /grants) it does not exist.
  'POST /grants/{id}/revoke': {
    requester: 404, // Erin filed it for her report, but holds nothing and owns no wiki
    beneficiary: 202, // the holder
    serviceAccountOwner: 202, // the owner of the service account that holds it
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 404,
    otherApprover: 404,
    fulfiller: 404, // fulfillers remove access when asked; they do not decide to end it
    auditor: 403, // sees every grant, ends none
    security: 202,
    admin: 202, // Ivan owns the wiki
    ...unauthenticated,
    ...notActive,
  },
  // Cancels the cell ticket, waiting for approval (a fresh ticket per cell). Spec: "the requester
  // withdraws a ticket"; those who may see it get 403, those to whom it does not exist 404, as for GET.
  'POST /requests/{id}/cancel': {
    requester: 200,
    beneficiary: 403, // benefits from it, but did not file it
    serviceAccountOwner: 200, // Felix filed for the service account he owns
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 403,
    otherApprover: 404,
    fulfiller: 403,
    auditor: 403, // oversight roles read; they do not withdraw other people's requests
    security: 403,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // What can be requested and from whom: for every active employee.
  'GET /catalog': {
    requester: 200,
    beneficiary: 200,
    serviceAccountOwner: 200,
    serviceAccountNonOwner: 200,
    otherEmployee: 200,
    approver: 200,
    otherApprover: 200,
    fulfiller: 200,
    auditor: 200,
    security: 200,
    admin: 200,
    ...unauthenticated,
    ...notActive,
  },
  // Alex's entry: "from whom" a request will be approved is for every active employee to see.
  'GET /directory/{id}': {
    requester: 200,
    beneficiary: 200,
    serviceAccountOwner: 200,
    serviceAccountNonOwner: 200,
    otherEmployee: 200,
    approver: 200,
    otherApprover: 200,
    fulfiller: 200,
    auditor: 200,
    security: 200,
    admin: 200,
    ...unauthenticated,
    ...notActive,
  },
  // Spec: "`admin` manages catalog, directory and policies". The admin's cell writes Alex's entry
  // (and the wiki) as it stands, which changes nothing.
  'PUT /directory/{id}': adminOnly(),
  'PUT /catalog/systems/{id}': adminOnly(),
  // "The caller's pending approval tasks": the cell ticket's task is in the approver's inbox only.
  'GET /approvals': {
    requester: { status: 200, sees: false },
    beneficiary: { status: 200, sees: false },
    serviceAccountOwner: { status: 200, sees: false }, // the owner does not approve for their own account
    serviceAccountNonOwner: { status: 200, sees: false },
    otherEmployee: { status: 200, sees: false },
    approver: { status: 200, sees: true },
    otherApprover: { status: 200, sees: false }, // Fiona has the service ticket's task, not this one
    fulfiller: { status: 200, sees: false },
    auditor: { status: 200, sees: false },
    security: { status: 200, sees: false }, // the stage went to a named manager, not to the group
    admin: { status: 200, sees: false },
    ...unauthenticated,
    ...notActive,
  },
  // Approves the cell ticket's open stage (a fresh ticket per cell). Those to whom the ticket does
  // not exist get 404, as for GET; those who may see it but are not its approver get 403.
  'POST /approvals/{id}/decision': {
    requester: 403, // "nobody approves a ticket they requested"
    beneficiary: 403, // "... or benefit from"
    serviceAccountOwner: 403, // "a service account's owner does not approve access for that account"
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 200,
    otherApprover: 404,
    // Ian sees the ticket as its fulfiller, so it exists for him: not his stage is a 403, not a 404.
    fulfiller: 403,
    auditor: 403, // sees every ticket, decides none
    security: 403, // sees every ticket; this stage is not the security group's
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // Hands the cell ticket's open stage to Paula (a fresh ticket per cell), who may approve either
  // ticket. Spec: "the current approver or security"; as for a decision, those to whom the ticket
  // does not exist get 404, those who see it but may not reassign 403.
  'POST /approvals/{id}/reassign': {
    requester: 403,
    beneficiary: 403,
    serviceAccountOwner: 403,
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 200,
    otherApprover: 404,
    fulfiller: 403,
    auditor: 403, // sees every ticket, decides and hands on none
    security: 200,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // "anyone sets a dated delegation": every active person, for themselves (a window a month ahead,
  // so that no cell's ticket asks the delegate).
  'POST /delegations': {
    requester: 201,
    beneficiary: 201,
    serviceAccountOwner: 201,
    serviceAccountNonOwner: 201,
    otherEmployee: 201,
    approver: 201,
    otherApprover: 201,
    fulfiller: 201,
    auditor: 201,
    security: 201,
    admin: 201,
    ...unauthenticated,
    ...notActive,
  },
  // The caller's own delegations, given and received: Dana's delegation to Bo is listed for the two
  // of them only (security included: the list is the caller's own).
  'GET /delegations': {
    requester: { status: 200, sees: false },
    beneficiary: { status: 200, sees: false },
    serviceAccountOwner: { status: 200, sees: false },
    serviceAccountNonOwner: { status: 200, sees: true }, // Bo, the delegate
    otherEmployee: { status: 200, sees: false },
    approver: { status: 200, sees: true }, // Dana, who gave it
    otherApprover: { status: 200, sees: false },
    fulfiller: { status: 200, sees: false },
    auditor: { status: 200, sees: false },
    security: { status: 200, sees: false },
    admin: { status: 200, sees: false },
    ...unauthenticated,
    ...notActive,
  },
  // Deletes a delegation Dana gave Bo (a fresh one per cell): its owner or security; the delegate,
  // who sees it listed, gets 403; to anyone else it does not exist.
  'DELETE /delegations/{id}': {
    requester: 404,
    beneficiary: 404,
    serviceAccountOwner: 404,
    serviceAccountNonOwner: 403,
    otherEmployee: 404,
    approver: 204,
    otherApprover: 404,
    fulfiller: 404,
    auditor: 404,
    security: 204,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // Alex's grants on the wiki. Spec: "the holder, the system owner, security, auditor".
  'GET /grants': {
    requester: 403, // his manager reads his tickets she filed, not what he holds
    beneficiary: 200,
    serviceAccountOwner: 403,
    serviceAccountNonOwner: 403,
    otherEmployee: 403,
    approver: 403,
    otherApprover: 403,
    fulfiller: 403,
    auditor: 200,
    security: 200,
    admin: 200, // Ivan owns the wiki
    ...unauthenticated,
    ...notActive,
  },
  // "The caller's open fulfilment tasks": the cell ticket, approved, is in its fulfiller's list only.
  'GET /fulfilments': {
    requester: { status: 200, sees: false },
    beneficiary: { status: 200, sees: false },
    serviceAccountOwner: { status: 200, sees: false },
    serviceAccountNonOwner: { status: 200, sees: false }, // Bo fulfils GitHub, not payroll
    otherEmployee: { status: 200, sees: false },
    approver: { status: 200, sees: false },
    otherApprover: { status: 200, sees: false },
    fulfiller: { status: 200, sees: true },
    auditor: { status: 200, sees: false },
    security: { status: 200, sees: false },
    admin: { status: 200, sees: false }, // Ivan fulfils AWS and network tickets, not the wiki
    ...unauthenticated,
    ...notActive,
  },
  // Reports the cell ticket's fulfilment done (a fresh approved ticket per cell).
  'POST /requests/{id}/fulfilment': {
    requester: 403,
    beneficiary: 403, // "nobody fulfils a grant to themselves"
    serviceAccountOwner: 403,
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 403, // sees the ticket as its approver; is not its fulfiller
    otherApprover: 404,
    fulfiller: 200,
    auditor: 403,
    security: 403,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // Spec: "a comment by anyone who can see the ticket"; to anyone else it does not exist.
  'POST /requests/{id}/comments': {
    requester: 201,
    beneficiary: 201,
    serviceAccountOwner: 201,
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 201,
    otherApprover: 404,
    fulfiller: 201,
    auditor: 201, // oversight roles see every ticket, so they may ask about it
    security: 201,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // Satisfaction: "the requester" rates their resolved request (the cell tickets are granted, so
  // resolved); everyone else who sees it is refused, and to anyone else it does not exist.
  'POST /requests/{id}/feedback': {
    requester: 201,
    beneficiary: 403,
    serviceAccountOwner: 201, // Felix filed the service ticket
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 403,
    otherApprover: 404,
    fulfiller: 403,
    auditor: 403,
    security: 403,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // "A support queue member takes the ticket": the cell tickets are access requests, which no queue
  // serves, so whoever sees one is refused with a 409 (support tickets: comments.test.ts).
  'POST /requests/{id}/assign': {
    requester: 409,
    beneficiary: 409,
    serviceAccountOwner: 409,
    serviceAccountNonOwner: 404,
    otherEmployee: 404,
    approver: 409,
    otherApprover: 404,
    fulfiller: 409,
    auditor: 409,
    security: 409,
    admin: 404,
    ...unauthenticated,
    ...notActive,
  },
  // An API description is public: it answers without a token, and whatever token comes is not read.
  'GET /openapi.json': {
    requester: 200,
    beneficiary: 200,
    serviceAccountOwner: 200,
    serviceAccountNonOwner: 200,
    otherEmployee: 200,
    approver: 200,
    otherApprover: 200,
    fulfiller: 200,
    auditor: 200,
    security: 200,
    admin: 200,
    anonymous: 200,
    expiredToken: 200,
    otherKeyToken: 200,
    suspended: 200,
    departed: 200,
  },
  // Policies and the inputs of decisions are for the people who oversee them (issue 11); only an
  // admin replaces the set (the admin's cell publishes the live set again, which changes nothing).
  'GET /policies': oversightOnly(),
  'GET /policies/{version}': oversightOnly(),
  'GET /policies/inputs/{hash}': oversightOnly(),
  'PUT /policies': adminOnly(),
  // Spec: policy simulation is for "admin, auditor, security"; each accepted call starts a job.
  'POST /policies/simulations': { ...oversightOnly(), auditor: 202, security: 202, admin: 202 },
  // A simulation an admin started: readable by the same roles, whoever started it.
  'GET /policies/simulations/{id}': oversightOnly(),
  // Issue 14: the verification of the audit trail is for auditor and security; an admin, who
  // changes policies and the directory, is not the one to read whether history was changed.
  'GET /audit/verify': { ...oversightOnly(), admin: 403 },
  // Issue 16: analytics and the weekly reports are for "auditor, security, admin".
  'GET /analytics': oversightOnly(),
  'GET /analytics/reports': oversightOnly(),
  // Issue 14: exports of the trail are for "auditor, security": not an admin, who changes what is
  // audited. Each accepted call starts a job.
  'POST /audit/exports': { ...oversightOnly(), auditor: 202, security: 202, admin: 403 },
  // An export an auditor started: readable by either role, whoever started it.
  'GET /audit/exports/{id}': { ...oversightOnly(), admin: 403 },
  // The approver's emailed link, opened with this caller's bearer header (or none). Spec: the link
  // pages authenticate by "the token in the link", not by a JWT: a mail scanner without any token
  // must see the page (and change nothing), and a stale or foreign Authorization header changes nothing.
  'GET /a/{token}': {
    requester: 200,
    beneficiary: 200,
    serviceAccountOwner: 200,
    serviceAccountNonOwner: 200,
    otherEmployee: 200,
    approver: 200,
    otherApprover: 200,
    fulfiller: 200,
    auditor: 200,
    security: 200,
    admin: 200,
    anonymous: 200,
    expiredToken: 200,
    otherKeyToken: 200,
    suspended: 200,
    departed: 200,
  },
  // That page's form, posted with this caller's bearer header (a fresh ticket per cell). The link is
  // its recipient's credential: whoever holds it acts once, and the decision is always recorded as
  // the link's recipient (Dana), by link; the email and the page say not to forward it.
  // The signature authenticates an integration's webhook; a bearer token, however good, is no signature.
  // Spec: outbound deliveries are shown and resent by an admin.
  'GET /webhooks/deliveries': adminOnly(),
  // A delivery no subscriber ever had: an admin is told there is none; anyone else is refused first.
  'POST /webhooks/deliveries/{id}/redrive': { ...adminOnly(), admin: 404 },
  'POST /webhooks/{integration}': {
    requester: 401,
    beneficiary: 401,
    serviceAccountOwner: 401,
    serviceAccountNonOwner: 401,
    otherEmployee: 401,
    approver: 401,
    otherApprover: 401,
    fulfiller: 401,
    auditor: 401,
    security: 401,
    admin: 401,
    anonymous: 401,
    expiredToken: 401,
    otherKeyToken: 401,
    suspended: 401,
    departed: 401,
  },
  'POST /a/{token}': {
    requester: 200,
    beneficiary: 200,
    serviceAccountOwner: 200,
    serviceAccountNonOwner: 200,
    otherEmployee: 200,
    approver: 200,
    otherApprover: 200,
    fulfiller: 200,
    auditor: 200,
    security: 200,
    admin: 200,
    anonymous: 200,
    expiredToken: 200,
    otherKeyToken: 200,
    suspended: 200,
    departed: 200,
  },
};

interface Row {
  route: string;
  caller: Caller;
  status: number;
  sees?: boolean;
  gap?: string;
  title: string;
}

const rows: Row[] = Object.entries(matrix).flatMap(([route, cells]) =>
  (Object.entries(cells) as [Caller, Cell][]).map(([caller, cell]) => {
    const { status, sees, gap } =
      typeof cell === 'number' ? { status: cell, sees: undefined, gap: undefined } : cell;
    const seen = sees === undefined ? '' : sees ? ', with the ticket in it' : ', without the ticket';
    return {
      route,
      caller,
      status,
      sees,
      gap,
      title: `${route} as ${callers[caller].label} answers ${status}${seen}${gap ? ` (known gap: ${gap})` : ''}`,
    };
  }),
);

/** The tickets a cell acts on: one pair shared by the reading cells, fresh ones for the cells that act. */
interface Fixture {
  ticketId: string;
  taskId: string;
  link: string;
}

describe('authorization matrix: every deployed route × every kind of caller', () => {
  let tollgate: TestRuntime;
  let client: TollgateClient;
  /** The bearer token each caller presents (none for the anonymous one). */
  const tokens = new Map<Caller, string | undefined>();
  /** Shared: waiting for approval, and approved and waiting for fulfilment, per kind of ticket. */
  const shared = {} as Record<'report' | 'service', { pending: Fixture; fulfilling: Fixture }>;
  /** Per kind, a time-bound grant in force (extensions file new tickets: one serves every cell). */
  const timeBound = {} as Record<'report' | 'service', Fixture>;
  /** Fresh tickets for the cells that act, by `route|caller`. */
  const fresh = new Map<string, Fixture>();
  /** A simulation an admin started, for the cells that read one. */
  let simulationId = '';
  /** An export an auditor started, for the cells that read one. */
  let exportId = '';
  /** Dana's delegation to Bo that the list cells look for, and a fresh one for each delete cell. */
  let sharedDelegationId = '';
  const freshDelegations = new Map<Caller, string>();
  let delegationsSet = 0;
  /** Dana has Bo asked alongside her a month from now, a window of its own each time. */
  const delegateDanaToBo = async () => {
    const from = Date.now() + 30 * 86_400_000 + ++delegationsSet * 60_000;
    const set = await client.call<{ id: string }>(people.dana, 'POST', '/delegations', {
      delegate: people.bo,
      from: new Date(from).toISOString(),
      until: new Date(from + 86_400_000).toISOString(),
    });
    if (set.status !== 201) throw new Error(`could not delegate: ${JSON.stringify(set.body)}`);
    return set.body.id;
  };

  const approverOf = { report: people.dana, service: people.fiona } as const;

  /**
   * The outbox, read at most once per 100 ms however many fixtures wait on it: each read parses
   * every email written so far, and dozens of tickets are prepared at once.
   */
  let outboxRead: Promise<OutboxMessage[]> | null = null;
  const outbox = () => {
    outboxRead ??= client.outbox().finally(() => setTimeout(() => (outboxRead = null), 100));
    return outboxRead;
  };
  const linkFor = (to: string, ticketId: string, subjectStart: string) =>
    eventually(async () => {
      const message = (await outbox()).find(
        (m) => m.to.includes(to) && m.subject.startsWith(subjectStart) && m.subject.includes(ticketId),
      );
      return message?.links[0];
    }, 60_000);

  /** The inbox's answer to the caller and, when it is a 200, whether any of its pages holds the ticket. */
  async function inboxSees(api: ApiClient, path: string, ticketId: string) {
    const response = await api.get(path);
    if (response.status !== 200) return { status: response.status };
    const { items } = await pageThrough<InboxItem>(api, path);
    return { status: response.status, sees: items.some((item) => item.ticket.id === ticketId) };
  }

  /** The cell's ticket, waiting for approval; `duration` makes the report's time-bound (the service's is). */
  async function file(kind: 'report' | 'service', duration?: string): Promise<Fixture> {
    const [requester, body] =
      kind === 'report'
        ? [people.erin, accessBody({ beneficiary: people.alex, ...(duration ? { duration } : {}) })]
        : [people.felix, { ...specExampleBody }];
    const created = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
    if (created.status !== 201) throw new Error(`could not file: ${JSON.stringify(created.body)}`);
    const ticketId = created.body.id;
    const link = await linkFor(approverOf[kind], ticketId, 'Approval needed');
    // Dozens of tickets wait for the same approver: the newest task is on a later page of the inbox.
    const inbox = await pageThrough<InboxItem>(await tollgate.as(approverOf[kind]), '/approvals');
    const taskId = inbox.items.find((item) => item.ticket.id === ticketId)?.id;
    if (!taskId) throw new Error(`no approval task for ${ticketId}`);
    return { ticketId, taskId, link };
  }

  async function fileApproved(kind: 'report' | 'service', duration?: string): Promise<Fixture> {
    const fixture = await file(kind, duration);
    await client.call(approverOf[kind], 'POST', `/approvals/${fixture.taskId}/decision`, {
      decision: 'approve',
    });
    await linkFor(people.ian, fixture.ticketId, 'To fulfil');
    return fixture;
  }

  async function fileGranted(kind: 'report' | 'service', duration?: string): Promise<Fixture> {
    const fixture = await fileApproved(kind, duration);
    await client.call(people.ian, 'POST', `/requests/${fixture.ticketId}/fulfilment`, { result: 'done' });
    // The grant item is written right after the ticket that names it.
    await eventually(async () => {
      const grants = await client.call<{ items: { ticket: string }[] }>(
        people.aude,
        'GET',
        `/grants?identity=${encodeURIComponent(kind === 'report' ? people.alex : services.billingExport)}&limit=100`,
      );
      return grants.body.items.some((grant) => grant.ticket === fixture.ticketId) || undefined;
    }, 60_000);
    return fixture;
  }

  /** A token like the local issuer's for `subject`, expired or signed with a key the server does not know. */
  async function badToken(kind: 'expired' | 'otherKey', subject: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwk =
      kind === 'otherKey'
        ? await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)
        : (await tollgate.secrets()).jwtPrivateKey;
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'tollgate-local-1' })
      .setSubject(subject)
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt(now - 7200)
      .setExpirationTime(kind === 'expired' ? now - 60 : now + 3600)
      .sign(await importJWK(jwk, 'ES256'));
  }

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    client = new TollgateClient(tollgate.url);
    for (const [caller, { identity }] of Object.entries(callers) as [Caller, { identity: string | null }][]) {
      if (identity) tokens.set(caller, await devToken(tollgate.url, identity));
    }
    // The bad tokens name the ticket's approver: whoever they name, they are refused.
    tokens.set('expiredToken', await badToken('expired', people.dana));
    tokens.set('otherKeyToken', await badToken('otherKey', people.dana));
    tokens.set('anonymous', undefined);

    const [reportPending, reportFulfilling, servicePending, serviceFulfilling] = await Promise.all([
      file('report'),
      fileApproved('report'),
      file('service'),
      fileApproved('service'),
    ]);
    const simulation = await client.call<{ id: string }>(people.ivan, 'POST', '/policies/simulations', {
      policies: candidatePolicies,
    });
    simulationId = simulation.body.id;
    // A stored verification, so that those who may read it get a 200 rather than the 404 before any.
    await client.runSchedule('audit-verify');
    const started = await client.call<{ id: string }>(people.aude, 'POST', '/audit/exports', lastDay());
    exportId = started.body.id;
    sharedDelegationId = await delegateDanaToBo();
    for (const caller of Object.keys(callers) as Caller[]) {
      freshDelegations.set(caller, await delegateDanaToBo());
    }
    shared.report = { pending: reportPending, fulfilling: reportFulfilling };
    [timeBound.report, timeBound.service] = await Promise.all([
      fileGranted('report', 'P7D'),
      fileGranted('service'),
    ]);
    shared.service = { pending: servicePending, fulfilling: serviceFulfilling };

    const acting: Record<string, (kind: 'report' | 'service') => Promise<Fixture>> = {
      'POST /approvals/{id}/decision': file,
      'POST /approvals/{id}/reassign': file,
      'POST /requests/{id}/fulfilment': fileApproved,
      'POST /requests/{id}/cancel': file,
      'POST /grants/{id}/revoke': fileGranted,
      'POST /a/{token}': () => file('report'),
    };
    await Promise.all(
      rows
        .filter((row) => row.route in acting)
        .map(async (row) => {
          const make = acting[row.route] as (kind: 'report' | 'service') => Promise<Fixture>;
          fresh.set(`${row.route}|${row.caller}`, await make(callers[row.caller].ticket));
        }),
    );
  }, 120_000);

  afterAll(async () => {
    await tollgate?.close();
  });

  interface Outcome {
    status: number;
    sees?: boolean;
    /** For the cells that act: what the ticket recorded afterwards. */
    recorded?: { by: string | null; via?: string | null };
  }

  const ticketAsAuditor = (id: string) => client.ticket(people.aude, id);
  const livePolicies = async () =>
    (
      await client.call<{ version: string; policies: Record<string, string> }>(
        people.aude,
        'GET',
        '/policies',
      )
    ).body;

  /** How each route is called in a cell: hand-written, one per route of the table. */
  const act: Record<string, (caller: Caller, api: ApiClient) => Promise<Outcome>> = {
    'POST /requests': async (caller, api) => {
      const body =
        callers[caller].ticket === 'service'
          ? { ...specExampleBody }
          : accessBody({ beneficiary: people.alex, justification: 'Read the onboarding pages for Alex' });
      return { status: (await api.post('/requests', body)).status };
    },
    'GET /requests': async (caller, api) => {
      const first = await api.get('/requests?limit=100');
      if (first.status !== 200) return { status: first.status };
      const { ids } = await listAll(api, { limit: '100' });
      return { status: 200, sees: ids.includes(shared[callers[caller].ticket].pending.ticketId) };
    },
    'GET /requests/{id}': async (caller, api) => ({
      status: (await api.get(`/requests/${shared[callers[caller].ticket].pending.ticketId}`)).status,
    }),
    'POST /requests/{id}/cancel': async (caller, api) => {
      const { ticketId } = fresh.get(`POST /requests/{id}/cancel|${caller}`) as Fixture;
      const response = await api.post(`/requests/${ticketId}/cancel`, { reason: 'No longer needed' });
      const cancelled = (await ticketAsAuditor(ticketId)).timeline.find(
        (event) => event.type === 'cancelled',
      );
      return { status: response.status, recorded: { by: cancelled?.actor ?? null } };
    },
    'POST /grants/{id}/extend': async (caller, api) => {
      const { ticketId } = timeBound[callers[caller].ticket];
      return {
        status: (
          await api.post(`/grants/G${ticketId}/extend`, { duration: 'P1D', justification: 'Still needed' })
        ).status,
      };
    },
    'POST /grants/{id}/revoke': async (caller, api) => {
      const { ticketId } = fresh.get(`POST /grants/{id}/revoke|${caller}`) as Fixture;
      const response = await api.post(`/grants/G${ticketId}/revoke`, { reason: 'No longer needed' });
      const ticket: Ticket = await ticketAsAuditor(ticketId);
      return { status: response.status, recorded: { by: ticket.revocation?.requestedBy ?? null } };
    },
    'GET /catalog': async (_caller, api) => ({ status: (await api.get('/catalog')).status }),
    'GET /directory/{id}': async (_caller, api) => ({
      status: (await api.get(`/directory/${encodeURIComponent(people.alex)}`)).status,
    }),
    'PUT /directory/{id}': async (_caller, api) => ({
      status: (await api.put(`/directory/${encodeURIComponent(people.alex)}`, seedIdentity(people.alex)))
        .status,
    }),
    'PUT /catalog/systems/{id}': async (_caller, api) => ({
      status: (
        await api.put(
          '/catalog/systems/wiki',
          seedSystems.find((system) => system.id === 'wiki'),
        )
      ).status,
    }),
    'GET /approvals': async (caller, api) =>
      inboxSees(api, '/approvals', shared[callers[caller].ticket].pending.ticketId),
    'POST /approvals/{id}/decision': async (caller, api) => {
      const { ticketId, taskId } = fresh.get(`POST /approvals/{id}/decision|${caller}`) as Fixture;
      const response = await api.post(`/approvals/${taskId}/decision`, {
        decision: 'approve',
        comment: null,
      });
      const stage = (await ticketAsAuditor(ticketId)).approvals[0];
      return { status: response.status, recorded: { by: stage?.decidedBy ?? null, via: stage?.via ?? null } };
    },
    'POST /approvals/{id}/reassign': async (caller, api) => {
      const { ticketId, taskId } = fresh.get(`POST /approvals/{id}/reassign|${caller}`) as Fixture;
      const response = await api.post(`/approvals/${taskId}/reassign`, {
        to: people.paula,
        reason: 'Paula stands in this week',
      });
      // A refused reassignment leaves the stage with the approver it had.
      const asked = (await ticketAsAuditor(ticketId)).approvals[0]?.candidates;
      expect(asked).toEqual(response.status === 200 ? [people.paula] : [approverOf[callers[caller].ticket]]);
      return { status: response.status };
    },
    'POST /delegations': async (caller, api) => {
      const from = Date.now() + 40 * 86_400_000;
      const response = await api.post('/delegations', {
        delegate: caller === 'otherEmployee' ? people.bo : people.paula,
        from: new Date(from).toISOString(),
        until: new Date(from + 86_400_000).toISOString(),
      });
      return { status: response.status };
    },
    'GET /delegations': async (_caller, api) => {
      const response = await api.get('/delegations?limit=100');
      if (response.status !== 200) return { status: response.status };
      const { items } = response.body as { items: { id: string }[] };
      return { status: 200, sees: items.some((item) => item.id === sharedDelegationId) };
    },
    'DELETE /delegations/{id}': async (caller, api) => ({
      status: (await api.delete(`/delegations/${freshDelegations.get(caller)}`)).status,
    }),
    'GET /grants': async (_caller, api) => ({
      status: (await api.get(`/grants?${new URLSearchParams({ identity: people.alex, system: 'wiki' })}`))
        .status,
    }),
    'GET /fulfilments': async (caller, api) =>
      inboxSees(api, '/fulfilments', shared[callers[caller].ticket].fulfilling.ticketId),
    'POST /requests/{id}/fulfilment': async (caller, api) => {
      const { ticketId } = fresh.get(`POST /requests/{id}/fulfilment|${caller}`) as Fixture;
      const response = await api.post(`/requests/${ticketId}/fulfilment`, { result: 'done', note: null });
      const ticket: Ticket = await ticketAsAuditor(ticketId);
      return { status: response.status, recorded: { by: ticket.fulfilment?.by ?? null } };
    },
    'POST /requests/{id}/comments': async (caller, api) => ({
      status: (
        await api.post(`/requests/${shared[callers[caller].ticket].pending.ticketId}/comments`, {
          text: `A question from ${caller}`,
        })
      ).status,
    }),
    'POST /requests/{id}/feedback': async (caller, api) => ({
      status: (
        await api.post(`/requests/${timeBound[callers[caller].ticket].ticketId}/feedback`, { rating: 4 })
      ).status,
    }),
    'POST /requests/{id}/assign': async (caller, api) => ({
      status: (await api.post(`/requests/${shared[callers[caller].ticket].pending.ticketId}/assign`, {}))
        .status,
    }),
    'GET /openapi.json': async (_caller, api) => ({ status: (await api.get('/openapi.json')).status }),
    'GET /policies': async (_caller, api) => ({ status: (await api.get('/policies')).status }),
    'GET /policies/{version}': async (_caller, api) => {
      const { version } = await livePolicies();
      return { status: (await api.get(`/policies/${version}`)).status };
    },
    'GET /policies/inputs/{hash}': async (caller, api) => {
      const ticket = await ticketAsAuditor(shared[callers[caller].ticket].pending.ticketId);
      const { inputs } = ticket.decision as { inputs: string };
      return { status: (await api.get(`/policies/inputs/${inputs}`)).status };
    },
    'PUT /policies': async (_caller, api) => {
      const { version, policies } = await livePolicies();
      const response = await api.put('/policies', { policies }, { headers: { 'if-match': `"${version}"` } });
      return { status: response.status };
    },
    'POST /policies/simulations': async (_caller, api) => ({
      status: (await api.post('/policies/simulations', { policies: candidatePolicies })).status,
    }),
    'GET /policies/simulations/{id}': async (_caller, api) => ({
      status: (await api.get(`/policies/simulations/${simulationId}`)).status,
    }),
    'GET /audit/verify': async (_caller, api) => ({ status: (await api.get('/audit/verify')).status }),
    'GET /analytics': async (_caller, api) => ({ status: (await api.get('/analytics')).status }),
    'GET /analytics/reports': async (_caller, api) => ({
      status: (await api.get('/analytics/reports')).status,
    }),
    'POST /audit/exports': async (_caller, api) => ({
      status: (await api.post('/audit/exports', lastDay())).status,
    }),
    'GET /audit/exports/{id}': async (_caller, api) => ({
      status: (await api.get(`/audit/exports/${exportId}`)).status,
    }),
    'GET /a/{token}': async (_caller, api) => {
      const response = await fetch(shared.report.pending.link, { headers: bearer(api) });
      return { status: response.status };
    },
    'GET /webhooks/deliveries': async (_caller, api) => ({
      status: (await api.get('/webhooks/deliveries?status=failed')).status,
    }),
    'POST /webhooks/deliveries/{id}/redrive': async (_caller, api) => ({
      status: (await api.post(`/webhooks/deliveries/${encodeURIComponent('01NODELIVERY.1.0.siem')}/redrive`))
        .status,
    }),
    'POST /webhooks/{integration}': async (_caller, api) => {
      const response = await fetch(`${client.url}/webhooks/hr`, {
        method: 'POST',
        headers: { ...bearer(api), 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'identity.departed', data: { identity: people.dana } }),
      });
      return { status: response.status };
    },
    'POST /a/{token}': async (caller, api) => {
      const { ticketId, link } = fresh.get(`POST /a/{token}|${caller}`) as Fixture;
      const page = await client.openLink(link);
      const response = await fetch(link, {
        method: 'POST',
        headers: { ...bearer(api), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: page.csrf ?? '', decision: 'approve' }).toString(),
      });
      const stage = (await ticketAsAuditor(ticketId)).approvals[0];
      return { status: response.status, recorded: { by: stage?.decidedBy ?? null, via: stage?.via ?? null } };
    },
  };

  const bearer = (api: ApiClient): Record<string, string> =>
    api.token === undefined ? {} : { authorization: `Bearer ${api.token}` };

  /**
   * Who a successful action is recorded as: the one person each acting route lets act (`caller`:
   * the cell's caller, each the requester of their own ticket).
   */
  const recordedAs: Record<string, { by: string; via?: string } | 'caller'> = {
    'POST /approvals/{id}/decision': { by: people.dana, via: 'inbox' },
    'POST /requests/{id}/fulfilment': { by: people.ian },
    'POST /a/{token}': { by: people.dana, via: 'link' },
    'POST /requests/{id}/cancel': 'caller',
    'POST /grants/{id}/revoke': 'caller',
  };

  it('covers exactly the deployed routes but the console, and every caller on each', () => {
    // Prepare
    // The console's pages are refused by session, not token: console-session.test.ts covers them.
    const deployed = deployedRoutes()
      .filter((route) => !route.handler.startsWith('pages/'))
      .map((route) => `${route.method} ${route.path}`);

    // Act
    const inTable = Object.keys(matrix);

    // Assess
    expect([...inTable].sort()).toEqual([...deployed].sort());
    expect(Object.keys(act).sort()).toEqual([...inTable].sort());
    for (const cells of Object.values(matrix))
      expect(Object.keys(cells).sort()).toEqual(Object.keys(callers).sort());
  });

  const check = async ({ route, caller, status, sees }: Row) => {
    // Prepare
    const api = apiClient(tollgate.url, tokens.get(caller));

    // Act
    const outcome = await (act[route] as (caller: Caller, api: ApiClient) => Promise<Outcome>)(caller, api);

    // Assess
    expect(outcome.status, `${route} as ${caller}`).toBe(status);
    if (sees !== undefined) expect(outcome.sees, `${route} as ${caller}: the ticket listed`).toBe(sees);
    const named = recordedAs[route];
    const expectedRecord = named === 'caller' ? { by: callers[caller].identity ?? '' } : named;
    if (outcome.recorded && expectedRecord) {
      // A refused action records nothing; an accepted one records the one person allowed to act.
      if (status < 300)
        expect(outcome.recorded).toEqual(expectedRecord.via ? expectedRecord : { by: expectedRecord.by });
      else expect(outcome.recorded.by).toBeNull();
    }
  };

  // `%s` of the title alone: `$title` would be cut at 40 characters.
  it.each(rows.filter((row) => !row.gap).map((row) => [row.title, row] as const))('%s', (_title, row) =>
    check(row),
  );

  it.fails.each(rows.filter((row) => row.gap).map((row) => [row.title, row] as const))('%s', (_title, row) =>
    check(row),
  );
});
