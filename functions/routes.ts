import type { z } from 'zod';
import { analyticsQuery, reportListQuery } from './app/analytics';
import { exportRequestSchema } from './app/audit-exports';
import { replacePoliciesSchema } from './app/policies';
import { simulationRequestSchema } from './app/simulations';
import { delegationBodySchema } from './domain/delegations';
import { storedIdentitySchema, systemSchema } from './domain/directory';
import { extensionBodySchema } from './domain/extension';
import { feedbackBodySchema } from './domain/feedback';
import { grantViewSchema } from './domain/grants';
import { requestBodySchema } from './domain/intake';
import { deliverySchema } from './domain/outbound/deliveries';
import { recordedSchema } from './domain/recorded';
import {
  analyticsReportSchema,
  assignBodySchema,
  auditExportSchema,
  cancelBodySchema,
  catalogSchema,
  commentBodySchema,
  decisionBodySchema,
  delegationListSchema,
  delegationSchema,
  deliveryListSchema,
  directoryChangeSchema,
  errorSchema,
  fulfilmentBodySchema,
  grantListSchema,
  identityResponseSchema,
  inboxSchema,
  jobStartedSchema,
  listDelegationsQuery,
  listDeliveriesQuery,
  listGrantsQuery,
  listInboxQuery,
  listRequestsQuery,
  policySetSchema,
  policySnapshotSchema,
  reassignmentBodySchema,
  revokeGrantBodySchema,
  simulationSchema,
  storedReportListSchema,
  ticketListSchema,
  ticketSchema,
  verificationReportSchema,
} from './handlers/http/schemas';

/**
 * THE route table. The CDK stack creates one API route and Lambda function per entry (except the
 * local-only ones), the local server serves every entry, and the OpenAPI document is generated from it.
 */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Module under functions/handlers (Lambda) or functions/local (local-only routes), without extension. */
  handler: string;
  /**
   * `jwt`: a bearer token the gateway verifies; `session`: a console page, whose handler reads the
   * session cookie itself (the gateway's JWT authorizer reads no cookies), so the gateway passes it
   * through as it does `none`; `signature`: a Standard Webhooks signature the handler verifies (no
   * token); `none`: the route authenticates by its own means (the link token, the sign-in flow's
   * state), or is public, or local-only.
   */
  auth: 'jwt' | 'none' | 'session' | 'signature';
  localOnly?: true;
  operationId: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  headers?: Record<string, string>;
  responses: Partial<Record<number, { description: string; schema?: z.ZodType }>>;
}

const failures = {
  400: { description: 'Invalid input; `fields` maps each dot path to its message', schema: errorSchema },
  401: { description: 'Missing or bad token (the gateway answers `{"message": "Unauthorized"}`)' },
  403: { description: 'The caller may not do this, or is suspended or departed', schema: errorSchema },
} as const;

/** A console page (HTML): its handler under functions/handlers/pages, behind the session cookie. */
const page = (
  method: 'GET' | 'POST',
  path: string,
  handler: string,
  operationId: string,
  summary: string,
): Route => ({
  method,
  path,
  handler: `pages/${handler}`,
  auth: 'session',
  operationId,
  summary,
  responses:
    method === 'GET'
      ? {
          200: { description: 'The page (HTML)' },
          303: { description: 'No session, or it ended: to /signin, which comes back here' },
          403: { description: 'The page is not for the viewer (HTML)' },
        }
      : {
          303: { description: 'Done: to the page that shows it' },
          400: { description: "The page again, with the use case's message for each field (HTML)" },
          403: { description: 'Not for the viewer, or the form lacks its anti-forgery token (HTML)' },
        },
});

/**
 * The console: sign-in (the authorization-code flow with PKCE at the OpenID provider), its assets,
 * and its pages, each through the use cases the JSON API calls.
 */
const consoleRoutes: Route[] = [
  {
    method: 'GET',
    path: '/signin',
    handler: 'pages/sign-in',
    auth: 'none',
    operationId: 'signIn',
    summary: "Starts the console's sign-in at the OpenID provider (`return`: the page to come back to)",
    responses: { 302: { description: "To the provider's sign-in page" } },
  },
  {
    method: 'GET',
    path: '/auth/callback',
    handler: 'pages/sign-in',
    auth: 'none',
    operationId: 'signInCallback',
    summary: 'Where the provider sends the browser back: opens the session (a `__Host-` cookie)',
    responses: {
      303: { description: 'Signed in: to the page asked for' },
      400: { description: 'A sign-in not started here, or started too long ago (HTML)' },
      403: { description: 'The provider refused, or its token did not verify (HTML)' },
    },
  },
  {
    method: 'GET',
    path: '/signed-out',
    handler: 'pages/sign-in',
    auth: 'none',
    operationId: 'signedOut',
    summary: 'Where the provider sends the browser back after sign-out',
    responses: { 200: { description: 'The page (HTML)' } },
  },
  {
    method: 'GET',
    path: '/console/assets/{file}',
    handler: 'pages/assets',
    auth: 'none',
    operationId: 'consoleAsset',
    summary: "The console's stylesheet and script",
    responses: { 200: { description: 'The file' }, 404: { description: 'No such file' } },
  },
  page('POST', '/signout', 'sign-out', 'signOut', "Ends the session, then the provider's"),
  page('GET', '/', 'home', 'consoleHome', 'The console: what waits for the viewer'),
  page(
    'GET',
    '/console/catalog',
    'catalog',
    'consoleCatalog',
    'What can be requested, and what each entitlement needs',
  ),
  page('GET', '/console/requests/new', 'catalog', 'consoleRequestForm', 'The request form'),
  page(
    'POST',
    '/console/requests/new',
    'catalog',
    'consoleSubmitRequest',
    'Files a request as POST /requests does',
  ),
  page('GET', '/console/requests', 'my-requests', 'consoleMyRequests', "The viewer's requests"),
  page('GET', '/console/requests/{id}', 'my-requests', 'consoleRequest', 'A request, its timeline in words'),
  page(
    'POST',
    '/console/requests/{id}/{action}',
    'my-requests',
    'consoleActOnRequest',
    '`comment`, `cancel`, `extend` or give `feedback` on a request',
  ),
  page('GET', '/console/approvals', 'approvals', 'consoleApprovals', "The approver's inbox"),
  page(
    'POST',
    '/console/approvals/{id}/{action}',
    'approvals',
    'consoleActOnApproval',
    '`decide` (approve or deny) or `reassign` an inbox item',
  ),
  page('GET', '/console/delegations', 'delegations', 'consoleDelegations', "The approver's delegations"),
  page('POST', '/console/delegations', 'delegations', 'consoleCreateDelegation', 'Sets a delegation'),
  page('GET', '/console/fulfilments', 'fulfilments', 'consoleFulfilments', "The fulfiller's open tasks"),
  page(
    'POST',
    '/console/fulfilments/{id}/{action}',
    'fulfilments',
    'consoleActOnFulfilment',
    '`report` done or failed, or `confirm` the access is gone',
  ),
  page('GET', '/console/support', 'support', 'consoleSupport', "A support queue member's open tickets"),
  page(
    'POST',
    '/console/support/{id}/{action}',
    'support',
    'consoleActOnSupport',
    '`take`, `respond` to or `resolve` a support ticket',
  ),
  page(
    'GET',
    '/console/audit',
    'audit',
    'consoleAudit',
    'Ticket search, the latest verification and exports (auditor, security)',
  ),
  page(
    'GET',
    '/console/audit/requests/{id}',
    'audit',
    'consoleAuditRecord',
    "A ticket's whole record: decision, inputs, approvals, chain",
  ),
  page(
    'POST',
    '/console/audit/exports',
    'audit',
    'consoleStartExport',
    'Starts an export as POST /audit/exports does',
  ),
  page(
    'GET',
    '/console/audit/exports/{id}',
    'audit',
    'consoleExport',
    'An export as it runs, then its download link',
  ),
  page(
    'GET',
    '/console/admin',
    'admin',
    'consoleAdmin',
    'The catalog, the directory (flagged accounts first) and the live policies (admin)',
  ),
  page(
    'GET',
    '/console/admin/catalog/{id}',
    'admin',
    'consoleAdminSystem',
    'A system of the catalog, to edit',
  ),
  page(
    'POST',
    '/console/admin/catalog/{id}',
    'admin',
    'consoleAdminSaveSystem',
    'Saves it as PUT /catalog/systems/{id} does',
  ),
  page('GET', '/console/admin/directory/{id}', 'admin', 'consoleAdminIdentity', 'A directory entry, to edit'),
  page(
    'POST',
    '/console/admin/directory/{id}',
    'admin',
    'consoleAdminSaveIdentity',
    'Saves it as PUT /directory/{id} does',
  ),
  page(
    'GET',
    '/console/admin/deliveries',
    'admin',
    'consoleAdminDeliveries',
    'Outbound webhook deliveries by status (`failed` first), as GET /webhooks/deliveries',
  ),
  page(
    'POST',
    '/console/admin/deliveries/{id}/redrive',
    'admin',
    'consoleRedriveDelivery',
    'Sends a failed delivery again, as POST /webhooks/deliveries/{id}/redrive does',
  ),
  page(
    'GET',
    '/console/admin/policies',
    'admin-policies',
    'consoleAdminPolicies',
    'The live policies, to change',
  ),
  page(
    'POST',
    '/console/admin/policies/simulate',
    'admin-policies',
    'consoleSimulatePolicies',
    'Starts the simulation of a change (the edited set, or the live set with a proposed policy)',
  ),
  page(
    'GET',
    '/console/admin/policies/simulations/{id}',
    'admin-policies',
    'consolePolicySimulation',
    'What a change would have decided differently, and the form that makes it live',
  ),
  page(
    'POST',
    '/console/admin/policies/simulations/{id}/save',
    'admin-policies',
    'consoleSavePolicies',
    'Makes the simulated set live, as PUT /policies does',
  ),
  page(
    'GET',
    '/console/dashboard',
    'dashboard',
    'consoleDashboard',
    'The analytics of a period (`from`, `to`), as GET /analytics: figures, charts, governance signals and rule candidates with their simulations',
  ),
];

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/requests',
    handler: 'http/submit-request',
    auth: 'jwt',
    operationId: 'submitRequest',
    summary: 'File an access or support request',
    body: requestBodySchema,
    headers: {
      'Idempotency-Key':
        'Replays answer the original response for 24 hours; another body with the same key is a 409',
    },
    responses: {
      201: { description: 'The new ticket', schema: ticketSchema },
      ...failures,
      409: { description: 'Idempotency-Key reused with another body', schema: errorSchema },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/requests',
    handler: 'http/list-requests',
    auth: 'jwt',
    operationId: 'listRequests',
    summary:
      'Tickets the caller may see, newest first; searched by person, system, entitlement, status, period or number',
    query: listRequestsQuery,
    responses: { 200: { description: 'One page of tickets', schema: ticketListSchema }, ...failures },
  },
  {
    method: 'GET',
    path: '/requests/{id}',
    handler: 'http/get-request',
    auth: 'jwt',
    operationId: 'getRequest',
    summary: 'A ticket with its timeline',
    responses: {
      200: { description: 'The ticket', schema: ticketSchema },
      ...failures,
      404: { description: 'No such ticket, or not visible to the caller', schema: errorSchema },
    },
  },
  {
    method: 'POST',
    path: '/requests/{id}/cancel',
    handler: 'http/cancel-request',
    auth: 'jwt',
    operationId: 'cancelRequest',
    summary:
      'The requester withdraws a ticket that is not closed: its links and tasks stop working, those asked are told, and access already provisioned is to be revoked',
    body: cancelBodySchema,
    responses: {
      200: { description: 'The ticket, closed as cancelled', schema: ticketSchema },
      ...failures,
      404: { description: 'No such ticket, or not visible to the caller', schema: errorSchema },
      409: {
        description:
          'Closed already (`cancelled` when it was cancelled before), or its access is being revoked',
        schema: errorSchema,
      },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'A body that is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/catalog',
    handler: 'http/get-catalog',
    auth: 'jwt',
    operationId: 'getCatalog',
    summary: 'What can be requested, and from whom',
    responses: { 200: { description: 'The catalog', schema: catalogSchema }, ...failures },
  },
  {
    method: 'GET',
    path: '/directory/{id}',
    handler: 'http/get-directory-entry',
    auth: 'jwt',
    operationId: 'getDirectoryEntry',
    summary: 'A directory entry: department, manager, owner, roles',
    responses: {
      200: { description: 'The identity', schema: identityResponseSchema },
      ...failures,
      404: { description: 'No such identity', schema: errorSchema },
    },
  },
  {
    method: 'PUT',
    path: '/directory/{id}',
    handler: 'http/put-directory-entry',
    auth: 'jwt',
    operationId: 'putDirectoryEntry',
    summary:
      'Add or replace a directory entry (admin); a departure, suspension or manager change takes effect on the open tickets it touches',
    body: storedIdentitySchema,
    responses: {
      200: { description: 'The entry replaced, and what the change did', schema: directoryChangeSchema },
      201: { description: 'The entry added', schema: directoryChangeSchema },
      ...failures,
      409: { description: 'The entry kept changing while this was written', schema: errorSchema },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'PUT',
    path: '/catalog/systems/{id}',
    handler: 'http/put-catalog-system',
    auth: 'jwt',
    operationId: 'putCatalogSystem',
    summary:
      'Add or replace a system of the catalog (admin); a new owner takes over the open system-owner stages',
    body: systemSchema,
    responses: {
      200: { description: 'The system replaced, and what the change did', schema: directoryChangeSchema },
      201: { description: 'The system added', schema: directoryChangeSchema },
      ...failures,
      409: { description: 'The system kept changing while this was written', schema: errorSchema },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/approvals',
    handler: 'http/list-approvals',
    auth: 'jwt',
    operationId: 'listApprovals',
    summary: "The caller's pending approval tasks, soonest deadline first",
    query: listInboxQuery,
    responses: { 200: { description: 'Open approval tasks', schema: inboxSchema }, ...failures },
  },
  {
    method: 'POST',
    path: '/approvals/{id}/decision',
    handler: 'http/decide-approval',
    auth: 'jwt',
    operationId: 'decideApproval',
    summary: 'Approve or deny from the inbox',
    body: decisionBodySchema,
    responses: {
      200: { description: 'What was recorded, and what happens next', schema: recordedSchema },
      ...failures,
      404: { description: 'No such task visible to the caller', schema: errorSchema },
      409: {
        description:
          'Already decided, or the ticket no longer waits for this stage (`cancelled`: the request was cancelled)',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'POST',
    path: '/approvals/{id}/reassign',
    handler: 'http/reassign-approval',
    auth: 'jwt',
    operationId: 'reassignApproval',
    summary:
      "Hand a pending stage to one other eligible person (the stage's approver, or security); its deadlines stay",
    body: reassignmentBodySchema,
    responses: {
      200: { description: 'The ticket with the stage reassigned', schema: ticketSchema },
      ...failures,
      404: { description: 'No such task visible to the caller', schema: errorSchema },
      409: {
        description:
          'Already decided or reassigned, the ticket no longer waits for this stage, or its deadline passed',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'POST',
    path: '/delegations',
    handler: 'http/create-delegation',
    auth: 'jwt',
    operationId: 'createDelegation',
    summary:
      'Have someone asked alongside you for the approvals that open in a window; the same request again answers the same delegation',
    body: delegationBodySchema,
    responses: {
      201: { description: 'The delegation', schema: delegationSchema },
      ...failures,
      409: { description: 'The same delegation was deleted; it stays on record', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/delegations',
    handler: 'http/list-delegations',
    auth: 'jwt',
    operationId: 'listDelegations',
    summary: 'The delegations the caller gave or received, deleted ones included, the latest-ending first',
    query: listDelegationsQuery,
    responses: { 200: { description: 'One page of delegations', schema: delegationListSchema }, ...failures },
  },
  {
    method: 'DELETE',
    path: '/delegations/{id}',
    handler: 'http/delete-delegation',
    auth: 'jwt',
    operationId: 'deleteDelegation',
    summary:
      'End a delegation (its owner, or security): stages opening afterwards no longer ask its delegate; it stays listed, marked deleted',
    responses: {
      204: { description: 'Deleted (or deleted already)' },
      ...failures,
      404: { description: 'No such delegation given or received by the caller', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/grants',
    handler: 'http/list-grants',
    auth: 'jwt',
    operationId: 'listGrants',
    summary:
      "Who holds what, since when, until when, by which ticket, newest first: one's own grants (and one's service accounts'); a system's for its owner; anyone's for security and auditors",
    query: listGrantsQuery,
    responses: { 200: { description: 'One page of grants', schema: grantListSchema }, ...failures },
  },
  {
    method: 'POST',
    path: '/grants/{id}/extend',
    handler: 'http/extend-grant',
    auth: 'jwt',
    operationId: 'extendGrant',
    summary:
      "The holder (or a service account's owner) asks for more time: a new access request that `extends` the grant, decided by policy like any other; once approved, the grant's `until` moves. `Idempotency-Key` honoured",
    body: extensionBodySchema,
    responses: {
      201: { description: 'The extension request, as filed', schema: ticketSchema },
      ...failures,
      404: { description: 'No such grant, or not visible to the caller', schema: errorSchema },
      409: { description: 'The grant is not active, or standing', schema: errorSchema },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'A body that is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'POST',
    path: '/grants/{id}/revoke',
    handler: 'http/revoke-grant',
    auth: 'jwt',
    operationId: 'revokeGrant',
    summary:
      'The holder, the system owner or security ends a grant before its time: its schedule is deleted, the fulfillers are asked to remove the access, and its ticket closes as `revoked` once one confirms',
    body: revokeGrantBodySchema,
    responses: {
      202: { description: 'The grant, now revoking', schema: grantViewSchema },
      ...failures,
      404: { description: 'No such grant, or not visible to the caller', schema: errorSchema },
      409: { description: 'Being revoked already, or ended', schema: errorSchema },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'A body that is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/fulfilments',
    handler: 'http/list-fulfilments',
    auth: 'jwt',
    operationId: 'listFulfilments',
    summary: "The caller's open fulfilment tasks, soonest deadline first",
    query: listInboxQuery,
    responses: { 200: { description: 'Open fulfilment tasks', schema: inboxSchema }, ...failures },
  },
  {
    method: 'POST',
    path: '/requests/{id}/fulfilment',
    handler: 'http/report-fulfilment',
    auth: 'jwt',
    operationId: 'reportFulfilment',
    summary: 'A fulfiller reports the work done or failed',
    body: fulfilmentBodySchema,
    responses: {
      200: { description: 'What was recorded, and what happens next', schema: recordedSchema },
      ...failures,
      404: { description: 'No such ticket visible to the caller', schema: errorSchema },
      409: {
        description:
          'Already reported, or not waiting for fulfilment (`cancelled`: the request was cancelled)',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'POST',
    path: '/requests/{id}/comments',
    handler: 'http/add-comment',
    auth: 'jwt',
    operationId: 'addComment',
    summary:
      "Comment on a ticket the caller can see (ask for or give more information; a support queue's first answer is its first response); the other parties are emailed",
    body: commentBodySchema,
    headers: {
      'Idempotency-Key':
        'A retry with the same key and text adds nothing; the same key with another text is a 409',
    },
    responses: {
      201: { description: 'The ticket, its timeline ending with the comment', schema: ticketSchema },
      ...failures,
      404: { description: 'No such ticket visible to the caller', schema: errorSchema },
      409: {
        description:
          'The ticket is closed or has 200 comments already, or the Idempotency-Key was used with another text',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'POST',
    path: '/requests/{id}/feedback',
    handler: 'http/give-feedback',
    auth: 'jwt',
    operationId: 'giveFeedback',
    summary:
      'The requester rates a resolved request from 1 to 5, with an optional comment: once per ticket (as the survey emailed at resolution does)',
    body: feedbackBodySchema,
    responses: {
      201: {
        description: 'The ticket with its feedback, its timeline ending with `feedback_given`',
        schema: ticketSchema,
      },
      ...failures,
      404: { description: 'No such ticket visible to the caller', schema: errorSchema },
      409: {
        description: 'Feedback was given already, or the request is not resolved yet',
        schema: errorSchema,
      },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'POST',
    path: '/requests/{id}/assign',
    handler: 'http/assign-request',
    auth: 'jwt',
    operationId: 'assignRequest',
    summary:
      "A member of a support ticket's queue takes it, or hands it to another member (`to`); it is then resolved with POST /requests/{id}/fulfilment",
    body: assignBodySchema,
    responses: {
      200: { description: 'The ticket with its assignee', schema: ticketSchema },
      ...failures,
      404: { description: 'No such ticket visible to the caller', schema: errorSchema },
      409: { description: 'The ticket is closed, or is an access request', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/a/{token}',
    handler: 'http/link-page',
    auth: 'none',
    operationId: 'viewLink',
    summary: 'The confirmation page behind an emailed link (HTML); changes nothing',
    responses: {
      200: { description: 'The page' },
      404: { description: 'Unknown link' },
      409: { description: 'Used, or the ticket was cancelled or no longer waits' },
      410: { description: 'Expired' },
    },
  },
  {
    method: 'POST',
    path: '/a/{token}',
    handler: 'http/link-page',
    auth: 'none',
    operationId: 'actOnLink',
    summary: "The confirmation page's form (application/x-www-form-urlencoded): decides once",
    responses: {
      200: { description: 'Recorded' },
      403: { description: 'Cross-site submission' },
      404: { description: 'Unknown link' },
      409: { description: 'Used, or the ticket was cancelled or no longer waits' },
      410: { description: 'Expired' },
    },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'http/get-openapi',
    // An API description is public: it says what the API takes, never whom it serves.
    auth: 'none',
    operationId: 'getOpenApi',
    summary: 'This document; needs no token',
    responses: { 200: { description: 'The OpenAPI 3.1 document' } },
  },
  {
    method: 'GET',
    path: '/policies',
    handler: 'http/get-policies',
    auth: 'jwt',
    operationId: 'getPolicies',
    summary: 'The live policy set and its version (admin, auditor, security); the ETag is the version',
    responses: { 200: { description: 'The live set', schema: policySetSchema }, ...failures },
  },
  {
    method: 'PUT',
    path: '/policies',
    handler: 'http/put-policies',
    auth: 'jwt',
    operationId: 'putPolicies',
    summary: 'Replace the live policy set (admin): checked against the schema, stored under its version',
    body: replacePoliciesSchema,
    headers: { 'If-Match': 'The version being replaced, as GET /policies answers it' },
    responses: {
      200: { description: 'The new live set', schema: policySetSchema },
      ...failures,
      409: { description: 'The live set is no longer the version in If-Match', schema: errorSchema },
      413: { description: 'Body over 1 MiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/policies/{version}',
    handler: 'http/get-policy-version',
    auth: 'jwt',
    operationId: 'getPolicyVersion',
    summary: 'Any policy set ever live, by version (admin, auditor, security)',
    responses: {
      200: { description: 'That set', schema: policySetSchema },
      ...failures,
      404: { description: 'No set has this version', schema: errorSchema },
    },
  },
  {
    method: 'POST',
    path: '/policies/simulations',
    handler: 'http/start-policy-simulation',
    auth: 'jwt',
    operationId: 'startPolicySimulation',
    summary:
      'Replay the recorded inputs of past tickets against a candidate policy set, as a job (admin, auditor, security); the candidate is stored under its version, never made live',
    body: simulationRequestSchema,
    responses: {
      202: { description: 'The job, started: GET /policies/simulations/{id}', schema: jobStartedSchema },
      ...failures,
      413: { description: 'Body over 1 MiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/policies/simulations/{id}',
    handler: 'http/get-policy-simulation',
    auth: 'jwt',
    operationId: 'getPolicySimulation',
    summary: 'A simulation job: queued, running, done or failed, its progress, and its result once done',
    responses: {
      200: { description: 'The job', schema: simulationSchema },
      ...failures,
      404: { description: 'No simulation has this id', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/policies/inputs/{hash}',
    handler: 'http/get-policy-inputs',
    auth: 'jwt',
    operationId: 'getPolicyInputs',
    summary:
      "Every input a policy decision saw, by the hash a ticket's decision names (admin, auditor, security)",
    responses: {
      200: { description: 'The snapshot', schema: policySnapshotSchema },
      ...failures,
      404: { description: 'No snapshot has this hash', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/audit/verify',
    handler: 'http/get-audit-verification',
    auth: 'jwt',
    operationId: 'getAuditVerification',
    summary:
      'The latest scheduled verification of the audit trail (auditor, security): each chain intact, newer, edited, truncated or deleted against the signed checkpoints. `npm run audit:verify` checks now, without the API',
    responses: {
      200: { description: 'The latest result', schema: verificationReportSchema },
      ...failures,
      404: { description: 'No scheduled verification has run yet', schema: errorSchema },
    },
  },
  {
    method: 'POST',
    path: '/audit/exports',
    handler: 'http/start-audit-export',
    auth: 'jwt',
    operationId: 'startAuditExport',
    summary:
      'Export the decisions on tickets submitted in a period as CSV or JSONL (each row an AuditExportRow), as a job (auditor, security)',
    body: exportRequestSchema,
    responses: {
      202: { description: 'The job, started: GET /audit/exports/{id}', schema: jobStartedSchema },
      ...failures,
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/audit/exports/{id}',
    handler: 'http/get-audit-export',
    auth: 'jwt',
    operationId: 'getAuditExport',
    summary:
      'An export job: queued, running, done or failed, its progress, and once done a short-lived link to its file (auditor, security)',
    responses: {
      200: { description: 'The job', schema: auditExportSchema },
      ...failures,
      404: { description: 'No export has this id', schema: errorSchema },
    },
  },
  ...consoleRoutes,
  {
    method: 'GET',
    path: '/analytics',
    handler: 'http/get-analytics',
    auth: 'jwt',
    operationId: 'getAnalytics',
    summary:
      'The analytics of a period of whole UTC days: volume, resolution and approval times, rates, SLA breaches, satisfaction, governance signals and rule candidates (auditor, security, admin)',
    query: analyticsQuery,
    responses: {
      200: { description: 'The report', schema: analyticsReportSchema },
      ...failures,
    },
  },
  {
    method: 'GET',
    path: '/analytics/reports',
    handler: 'http/list-analytics-reports',
    auth: 'jwt',
    operationId: 'listAnalyticsReports',
    summary:
      'The weekly reports stored by the weekly-report schedule, newest first (auditor, security, admin)',
    query: reportListQuery,
    responses: {
      200: { description: 'One page of stored reports', schema: storedReportListSchema },
      ...failures,
    },
  },
  {
    method: 'POST',
    path: '/webhooks/{integration}',
    handler: 'http/receive-webhook',
    auth: 'signature',
    operationId: 'receiveWebhook',
    summary:
      "An integration's event, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): `ticket.create`, `fulfilment.completed|failed`, `identity.created|updated|departed`; a repeated `webhook-id` (24 hours) answers the original response",
    headers: {
      'webhook-id': 'The message id: a repeat within 24 hours answers the original response',
      'webhook-timestamp': 'Seconds since the epoch; more than 5 minutes off is refused',
      'webhook-signature': '`v1,<base64 HMAC-SHA256>`, space-separated if several',
    },
    responses: {
      200: { description: 'Applied: what it did, naming the webhook id' },
      201: { description: '`ticket.create`: the new ticket (`ticket.id`)' },
      400: { description: 'Malformed body or data; `fields` maps each dot path', schema: errorSchema },
      401: {
        description: 'Missing or bad signature, or a timestamp over 5 minutes off',
        schema: errorSchema,
      },
      403: { description: 'An event type this integration may not send', schema: errorSchema },
      404: {
        description: 'No such integration, or what the event names does not exist',
        schema: errorSchema,
      },
      409: {
        description: 'The webhook-id was used for another event, or the effect conflicts',
        schema: errorSchema,
      },
      413: { description: 'Body over 64 KiB', schema: errorSchema },
      415: { description: 'Body is not application/json', schema: errorSchema },
    },
  },
  {
    method: 'GET',
    path: '/webhooks/deliveries',
    handler: 'http/list-deliveries',
    auth: 'jwt',
    operationId: 'listDeliveries',
    summary:
      'Outbound deliveries (webhooks out) in one status, newest first (admin): `failed` ones (the default) are kept for redrive',
    query: listDeliveriesQuery,
    responses: { 200: { description: 'One page of deliveries', schema: deliveryListSchema }, ...failures },
  },
  {
    method: 'POST',
    path: '/webhooks/deliveries/{id}/redrive',
    handler: 'http/redrive-delivery',
    auth: 'jwt',
    operationId: 'redriveDelivery',
    summary:
      'Send a failed delivery again (admin): pending at once, tried now, with 24 hours of retries of its own',
    responses: {
      202: { description: 'The delivery, pending again', schema: deliverySchema },
      ...failures,
      404: { description: 'No such delivery', schema: errorSchema },
      409: {
        description: 'The delivery is not failed (pending, delivered, or redriven already)',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'POST',
    path: '/dev/token',
    handler: 'local/dev-routes#issueToken',
    auth: 'none',
    localOnly: true,
    operationId: 'devIssueToken',
    summary: 'Local mode only: a signed token for a directory identity',
    responses: { 200: { description: '`{"token"}`' }, 400: failures[400] },
  },
  {
    method: 'GET',
    path: '/dev/identities',
    handler: 'local/dev-routes#listIdentities',
    auth: 'none',
    localOnly: true,
    operationId: 'devListIdentities',
    summary: 'Local mode only: the seeded identities',
    responses: { 200: { description: '`{"identities": [...]}`' } },
  },
  {
    method: 'GET',
    path: '/dev/outbox',
    handler: 'local/dev-routes#outbox',
    auth: 'none',
    localOnly: true,
    operationId: 'devOutbox',
    summary: 'Local mode only: the emails written to the outbox folder',
    responses: { 200: { description: '`{"messages": [{id, at, to, subject, text, html, links}]}`' } },
  },
  {
    method: 'GET',
    path: '/dev/endpoints',
    handler: 'local/dev-routes#endpoints',
    auth: 'none',
    localOnly: true,
    operationId: 'devEndpoints',
    summary: 'Local mode only: the local AWS-protocol endpoints',
    responses: {
      200: {
        description:
          '`{"dynamodb", "stepfunctions", "ses", "scheduler", "s3", "openid", "secretsmanager"}`: `openid` is the local OpenID provider the console signs in with',
      },
    },
  },
  {
    method: 'GET',
    path: '/dev/metrics',
    handler: 'local/dev-routes#metrics',
    auth: 'none',
    localOnly: true,
    operationId: 'devMetrics',
    summary:
      'Local mode only: counts since start of DynamoDB requests, state transitions, Lambda invocations and emails',
    responses: {
      200: {
        description:
          '`{"dynamodb", "dynamodbBatchWriteItems", "dynamodbWriteUnits", "stepfunctions", "lambda", "ses"}`',
      },
    },
  },
  {
    method: 'GET',
    path: '/dev/memory',
    handler: 'local/dev-routes#memory',
    auth: 'none',
    localOnly: true,
    operationId: 'devMemory',
    summary:
      "Local mode only: the process's memory in bytes (`process.memoryUsage()`), after a full garbage collection when node runs with `--expose-gc`",
    responses: {
      200: {
        description: '`{"collected", "pid", "rss", "heapTotal", "heapUsed", "external", "arrayBuffers"}`',
      },
    },
  },
  {
    method: 'GET',
    path: '/dev/schedules',
    handler: 'local/dev-routes#schedules',
    auth: 'none',
    localOnly: true,
    operationId: 'devSchedules',
    summary: 'Local mode only: the schedules and their last runs',
    responses: { 200: { description: '`{"schedules": [...]}`' } },
  },
  {
    method: 'POST',
    path: '/dev/schedules/{name}/run',
    handler: 'local/dev-routes#runSchedule',
    auth: 'none',
    localOnly: true,
    operationId: 'devRunSchedule',
    summary: 'Local mode only: run one schedule now',
    responses: {
      200: { description: "`{result}`: the handler's answer" },
      404: { description: 'No such schedule' },
    },
  },
];

export const deployedRoutes = (): Route[] => routes.filter((route) => !route.localOnly);
