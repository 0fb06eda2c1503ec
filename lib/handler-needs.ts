import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IndexName } from '../functions/adapters/dynamodb/table';
import { EXPORT_FILES_PREFIX } from '../functions/app/audit-exports';
import type { StateMachineName } from '../functions/workflow';
import { type CheckpointAction, grantCheckpointAccess } from './constructs/audit-trail';

/**
 * What each handler module does with AWS, and so exactly what its function may do: the stack
 * grants from this map and nothing else (plus its own log group and the signing secret, which
 * functions/config.ts makes every handler read at start-up). Each entry was read off the ports its
 * use case calls and the adapter method behind each port; change it when a use case starts (or
 * stops) calling one. A handler missing here stops `cdk synth`.
 *
 * Adapter methods and the DynamoDB actions they send (functions/adapters/dynamodb/):
 * - GetItem: tickets.get, directory.identity and .system (and .storedIdentity, .storedSystem), tasks.get,
 *   links.get, jobs.get, delegations.get (and .create and .markDeleted, reading the one stored), idempotency.reserve
 *   (reading the record that won), policyStore.liveVersion (the live-policy pointer) and .get (a
 *   stored policy version), snapshots.get, and every HTTP route's caller lookup (route.ts resolveCaller)
 * - BatchGetItem: the items behind every list: tickets.list, tasks.forAssignee, directory.catalog,
 *   .supportQueues, .serviceAccountsOwnedBy, .identitiesWithRole, .allIdentities; history.page (the
 *   tickets of a page), snapshots.getMany, tickets.entitlementsApprovedFor, .inFlightFor and
 *   .awaitingApprovalOn, delegations.givenEndingAfter and .list, grants.list
 * - PutItem: tickets.create and .save, tasks.put, links.put, grants.put, idempotency.reserve,
 *   verifications.put (the latest and a dated copy), snapshots.put, policyStore.publish and .store (the version, then the change item),
 *   securityEvents.record, jobs.create, delegations.create, directory.putIdentity and .putSystem
 *   (on the revision read)
 * - UpdateItem: idempotency.complete, links.markUsed and .release, tasks.retire (links leave the inbox),
 *   tasks.addAssignees, delegations.markDeleted,
 *   policyStore.publish (the live pointer, with the change appended, on the version it replaces),
 *   jobs.advance and .fail
 * - DeleteItem: idempotency.release
 * - Scan: trail.pages (the audit verification reads every item, projected to its keys and the
 *   attributes that carry chains)
 * - BatchWriteItem: tickets.addViewers, directory.put (seeding only), directory.putIdentity (role memberships)
 * - Query on the table itself: tickets.list by viewer, directory.identitiesWithRole
 * - Query on gsi1: tickets.list by requester, directory.directReportsOf, grants.list (HOLDER#, the
 *   system filtered in the index), delegations.givenEndingAfter and .list (DELEGATOR#)
 * - Query on gsi2: tickets.list by beneficiary, directory.serviceAccountsOwnedBy, delegations.list
 *   (DELEGATE#), grants.activeStandingGrants (STANDING#)
 * - Query on gsi3: tickets.list by status, tickets.awaitingApprovalOn (STATUS#pending_approval),
 *   directory.catalog, .supportQueues, .allIdentities, .isEmpty, history.count and .page (each status
 *   over a period's ids)
 * - Query on gsi4: grants.list by system (GRANTED#)
 * - Query on gsi5: tickets.entitlementsApprovedFor and .inFlightFor (INFLIGHT#{beneficiary}, sort key
 *   from `{status}#`), grants.dueForRevocation (REVOKE_DUE, then the grants batch-read),
 *   analyticsSource.resolvedOn and .feedbackOn (RESOLVED#{day}, FEEDBACK#{day}, then the tickets batch-read)
 * - Query on the table, analytics: analytics.rollups and .rolledUpDays (ROLLUPS, a range of days)
 *   and .reports (REPORTS);
 *   PutItem: analytics.putRollup and .putReport
 * - Query on gsi6: chains.changedSince (CHANGED#{hour}, each hour from the latest checkpoint's)
 * - Scan on gsi6: chains.changedSince for the first audit checkpoint (every chain there is)
 * - Query on gsi7: tasks.forAssignee and .retire (the inbox entries on links), tickets.executionsToStop,
 *   grants.entitlementsHeldBy (HELD#: the sort key names the entitlement, so no item is read) and
 *   .activeGrantsOf (HELD#, one entitlement's range, then the grants batch-read), grants.lastEndedBefore
 *   (ENDED#: one key)
 *
 * The deliveries of outbound events (adapters/dynamodb/delivery-store.ts): GetItem by .get and
 * .sweepHour; PutItem (conditional) by .create, .replace and .moveSweepHour; BatchGetItem by
 * .existing and behind .due, .list and .outboxesChangedIn; Query on gsi5 by .due (DELIVERY_DUE), on
 * gsi3 by .list (DELIVERY#{status}), on gsi6 by .outboxesChangedIn (CHANGED#{hour}). A ticket
 * writer whose write adds outbound events invokes the dispatcher (lambda:InvokeFunction).
 *
 * The audit checkpoints (adapters/s3/checkpoint-store.ts, `checkpoints/{seq}.json` in the audit
 * bucket): checkpoints.latest sends ListBucket (one-key listings) and GetObject, .put PutObject, .all
 * ListBucket and GetObject; the KMS signer (adapters/audit-signer.ts) sends kms:Sign.
 *
 * The grant schedules (adapters/scheduler.ts, `grant-<grant id>` in the default group):
 * grantSchedules.schedule sends CreateSchedule, .reschedule UpdateSchedule, .cancel DeleteSchedule;
 * the first two name the role Scheduler assumes, so they pass it (iam:PassRole).
 *
 * A decision by policy (app/policy-decisions.ts, behind the handlers with `policies`) reads the
 * live-policy pointer (and a newly published version) by GetItem, the people involved by GetItem,
 * the catalog (gsi3, then BatchGetItem), what the beneficiary holds (gsi7) and tickets in flight
 * (gsi5, then BatchGetItem), and puts the snapshot of its inputs (PutItem).
 *
 * A requester's notice (app/workflow-steps.ts tellRequester: approved, escalated, granted, closed)
 * is emailed by whichever step commits the event: advance, begin-revocation, record-failure,
 * reconcile (which records failures as record-failure does) and the identity changes; the one
 * that resolves the request also puts the survey's link (PutItem) and emails it.
 */
/** What a handler does with the audit signing key (ECC_NIST_P256). */
export type SigningKeyAction = 'Sign' | 'GetPublicKey';

export type ItemAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'Query'
  | 'Scan';

/**
 * Each Step Functions action and the resource type IAM evaluates it against: DescribeExecution and
 * StopExecution take an execution (they name one by its ARN; aws-cdk-lib's `grantExecution` scopes
 * them to `execution:<name>:*` likewise), the others the state machine (the task-token actions as
 * aws-cdk-lib's `grantTaskResponse` scopes SendTaskSuccess and SendTaskFailure).
 */
export const workflowActionResources = {
  StartExecution: 'state machine',
  SendTaskSuccess: 'state machine',
  SendTaskFailure: 'state machine',
  DescribeExecution: 'executions',
  StopExecution: 'executions',
} as const;
export type WorkflowAction = keyof typeof workflowActionResources;

/** What a handler does with the grant schedules (each on `schedule/default/grant-*`). */
export type GrantScheduleAction = 'CreateSchedule' | 'UpdateSchedule' | 'DeleteSchedule';

/** The actions that name the scheduler role in the schedule, and so must pass it. */
const passingTheRole: readonly GrantScheduleAction[] = ['CreateSchedule', 'UpdateSchedule'];

/**
 * What a handler does with the exports bucket's files (`exports/*`): PutObject covers a multipart
 * upload's CreateMultipartUpload, UploadPart and CompleteMultipartUpload; GetObject covers
 * HeadObject, and the presigned URL a handler signs (S3 checks the signer's right when it is used).
 */
export type ExportFileAction = 'PutObject' | 'GetObject';

export interface HandlerNeeds {
  /** DynamoDB actions on the table's items; `Query` here means on the table's own key. */
  table: ItemAction[];
  /** The global secondary indexes it queries (Query is the only action on an index). */
  indexes: IndexName[];
  /**
   * Step Functions actions on each state machine of functions/workflow.ts, by its name: on the
   * machine (starting executions, resuming or failing waits) or on its executions (describing,
   * stopping them).
   */
  workflow: Partial<Record<StateMachineName, WorkflowAction[]>>;
  /**
   * Scheduler actions on the grant schedules; creating or updating one also passes the role
   * Scheduler assumes to start the revocation (iam:PassRole, to scheduler.amazonaws.com only).
   */
  grantSchedules: GrantScheduleAction[];
  /** The indexes it reads whole (Scan): gsi6 for the first audit checkpoint, which anchors every chain. */
  scans: IndexName[];
  /** S3 actions on the audit checkpoints (objects under `checkpoints/` of the audit bucket, and listing them). */
  checkpoints: CheckpointAction[];
  /** KMS actions on the audit signing key. */
  signingKey: SigningKeyAction[];
  /** S3 actions on the audit export files (app/audit-exports.ts). */
  exportFiles: ExportFileAction[];
  /** Whether it sends email through SES (ses:SendEmail as the sender's identity). */
  email: boolean;
  /**
   * Whether it decides by policy (handlers/policy-deps.ts): the function carries Cedar (a 4.3 MB
   * wasm, installed into the asset as a node module rather than bundled) and the project's
   * `policies/` folder, which it compiles as the baseline at its first invocation. Only these do.
   */
  policies: boolean;
  /**
   * Whether it draws charts (adapters/charts/png.ts, for the report email): the function carries
   * the resvg wasm and the Inter font in its asset's `charts/` folder. Only these do.
   */
  charts: boolean;
  /**
   * Whether it serves ECharts' browser build to the console (handlers/pages/assets.ts): the
   * function carries it in its asset's `console/` folder. Only that one does.
   */
  browserCharts: boolean;
  /**
   * Whether it reads the signing secret (links, cursors, sessions: handlers/deps.ts reads it at
   * load). All do but the console's static assets, which are given neither its ARN nor its read.
   */
  signingSecret: boolean;
  /** Whether it reads the integrations' webhook secrets (secretsmanager:GetSecretValue on each). */
  webhookSecrets: boolean;
  /**
   * Whether its writes can add outbound events to a ticket (app/outbound.ts DispatchingTicketStore)
   * or redrive a delivery, and so hand them to the dispatcher at once: lambda:InvokeFunction on
   * the dispatcher's function alone, whose name it gets as WEBHOOK_DISPATCHER_FUNCTION.
   */
  dispatches: boolean;
  /** Whether it signs outbound deliveries: secretsmanager:GetSecretValue on each subscriber's secret. */
  subscriberSecrets: boolean;
}

const needs = (partial: Partial<HandlerNeeds>): HandlerNeeds => ({
  table: [],
  indexes: [],
  workflow: {},
  grantSchedules: [],
  scans: [],
  checkpoints: [],
  signingKey: [],
  exportFiles: [],
  email: false,
  policies: false,
  charts: false,
  browserCharts: false,
  signingSecret: true,
  webhookSecrets: false,
  dispatches: false,
  subscriberSecrets: false,
  ...partial,
});

export const handlerNeeds: Record<string, HandlerNeeds> = {
  // The description is public (auth: none) and built from the route table: no caller to look up.
  'http/get-openapi': needs({}),
  // The caller lookup, then the use case's reads.
  'http/get-catalog': needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi3'] }),
  'http/get-directory-entry': needs({ table: ['GetItem'] }),
  'http/get-request': needs({ table: ['GetItem'] }),
  // tickets.list over the requester, beneficiary or status partitions and the caller's viewer items,
  // the tickets of each page batch-read; the caller's service accounts.
  'http/list-requests': needs({
    table: ['GetItem', 'BatchGetItem', 'Query'],
    indexes: ['gsi1', 'gsi2', 'gsi3'],
  }),
  // tasks.forAssignee (the inbox entries, then their tasks batch-read), then tickets.get for each
  // task until the page is full.
  'http/list-approvals': needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi7'] }),
  'http/list-fulfilments': needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi7'] }),
  // Identities, system and (for support) queues; the security group when routing falls back to it;
  // the decision by policy (the live pointer and any newer version read, the catalog, what the
  // beneficiary holds on gsi7 and tickets in flight on gsi5, batch-read; the snapshot put); the
  // idempotency record reserved, the ticket created, the record completed (or, for a refused
  // request, deleted); then StartExecution. The first stage's approvers' delegations (gsi1, then
  // batch-read) and their delegates read.
  'http/submit-request': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    indexes: ['gsi1', 'gsi3', 'gsi5', 'gsi7'],
    workflow: { 'access-request': ['StartExecution'] },
    policies: true,
  }),
  // The grant, its holder, its system and the extended ticket read; then filed as POST /requests does.
  'http/extend-grant': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    indexes: ['gsi1', 'gsi3', 'gsi5', 'gsi7'],
    workflow: { 'access-request': ['StartExecution'] },
    policies: true,
  }),
  // The caller; the live pointer and, when it names a published version, that version (compiled with
  // Cedar, so these carry it); PUT stores the version, moves the pointer and puts the change item.
  'http/get-policies': needs({ table: ['GetItem'], policies: true }),
  'http/get-policy-version': needs({ table: ['GetItem'], policies: true }),
  'http/put-policies': needs({ table: ['GetItem', 'PutItem', 'UpdateItem'], policies: true }),
  // The caller and the snapshot: no Cedar.
  'http/get-policy-inputs': needs({ table: ['GetItem'] }),
  // The task and ticket read, the ticket saved with the decision or report, the waiting execution resumed;
  // a refusal put for security.
  'http/decide-approval': needs({
    table: ['GetItem', 'PutItem'],
    workflow: { 'access-request': ['SendTaskSuccess'] },
  }),
  'http/report-fulfilment': needs({
    table: ['GetItem', 'PutItem'],
    workflow: { 'access-request': ['SendTaskSuccess'] },
  }),
  // The ticket read and saved with the comment; the system and each recipient read, each emailed.
  'http/add-comment': needs({ table: ['GetItem', 'PutItem'], email: true }),
  // The ticket read and saved with the feedback.
  'http/give-feedback': needs({ table: ['GetItem', 'PutItem'] }),
  // The ticket and the new assignee read, the ticket saved with the assignee.
  'http/assign-request': needs({ table: ['GetItem', 'PutItem'] }),
  // The caller and the ticket read, the ticket saved as cancelled; its execution stopped and the stop
  // saved on the ticket; its tasks read and their links taken out of the inboxes (found on gsi7, then
  // updated); the system read for the emails to those asked and to the requester.
  // A ticket whose access was provisioned: the grant put, its schedule deleted, its revocation started.
  'http/cancel-request': needs({
    dispatches: true,
    table: ['GetItem', 'PutItem', 'UpdateItem'],
    indexes: ['gsi7'],
    workflow: { 'access-request': ['StopExecution'], 'grant-revocation': ['StartExecution'] },
    grantSchedules: ['DeleteSchedule'],
    email: true,
  }),
  // The link, ticket, task, recipient and system read; decides, reports or confirms a revocation as
  // above, resuming the access-request or the grant-revocation execution; marks the link used.
  // An expiry notice's link files its extension as POST /grants/{id}/extend does, which policy
  // decides: the link page carries Cedar.
  'http/link-page': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    indexes: ['gsi1', 'gsi3', 'gsi5', 'gsi7'],
    workflow: {
      'access-request': ['SendTaskSuccess', 'StartExecution'],
      'grant-revocation': ['SendTaskSuccess'],
    },
    policies: true,
  }),
  // The ticket read and saved, its viewers batch-written, the grant put, finished tasks' links taken
  // out of the inboxes (found on gsi7, then updated); a later stage's people resolved (identities and
  // system read, the security group queried and batch-read); before fulfilment opens, policy asked
  // again (as at intake: the live pointer, the people, the catalog on gsi3, what the beneficiary
  // holds on gsi7 and tickets in flight on gsi5; a refusal's snapshot put); the delegations of a later
  // stage's approvers (gsi1, then batch-read). The requester emailed of what the step committed. At
  // fulfilment a time-bound grant's schedule created, passing the scheduler role; UpdateSchedule is
  // granted ahead of the code that calls it, an extension's approval moving the grant's end (issue 13).
  // In the grant-revocation machine: the grant ended, or the overdue revocation escalated to
  // security (the table's ROLE# partition, batch-read).
  'workflow/advance': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1', 'gsi3', 'gsi5', 'gsi7'],
    grantSchedules: ['CreateSchedule', 'UpdateSchedule'],
    // A fulfilment step repeated after the grant's `until` starts its revocation itself.
    workflow: { 'grant-revocation': ['StartExecution'] },
    email: true,
    policies: true,
  }),
  // The first step of a revocation: the ticket read and saved, the holder's other active grants of
  // the entitlement (gsi7 HELD#, batch-read), the system and the people who remove the access read
  // (the security group on the table's ROLE# partition, batch-read); the requester emailed; the
  // grant put, new viewers batch-written, finished tasks' links taken out of the inboxes (gsi7, then
  // updated).
  // The grants whose notice is due (gsi3 NOTICE_DUE, batch-read), each holder read, the ticket saved
  // with the notice, the grant put, the link put; the holder emailed.
  'scheduled/expiry-notices': needs({
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'Query'],
    indexes: ['gsi3'],
    email: true,
  }),
  'workflow/begin-revocation': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi7'],
    email: true,
  }),
  // The ticket, task and system read; the task put; a link put per assignee, and an email to each;
  // a wait decided before it began answered at once, in either machine that waits on people.
  'workflow/notify': needs({
    table: ['GetItem', 'PutItem'],
    workflow: { 'access-request': ['SendTaskSuccess'], 'grant-revocation': ['SendTaskSuccess'] },
    email: true,
    // A system in `webhook` mode is asked by a webhook signed with its integration's secret.
    webhookSecrets: true,
  }),
  // The task and ticket read, the new approver and the system (and a one-stage ticket's fulfillers)
  // read, the ticket saved; the new approver listed as a viewer (BatchWriteItem), the replaced
  // approvers' inbox entries found on gsi7 and taken out, the task's assignees added to, a link put
  // and emailed; the people replaced told. A refusal put for security.
  'http/reassign-approval': needs({
    table: ['GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
    indexes: ['gsi7'],
    email: true,
  }),
  // The caller and the delegate read; the delegation put, or the one stored under its id read.
  'http/create-delegation': needs({ table: ['GetItem', 'PutItem'] }),
  // The caller; the caller's delegations given (gsi1) and received (gsi2), batch-read.
  'http/list-delegations': needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi1', 'gsi2'] }),
  // The caller, the system (its owner) and the holder (a service account's owner) read; the holder's
  // grants (gsi1 HOLDER#) or the system's (gsi4 GRANTED#), batch-read.
  'http/list-grants': needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi1', 'gsi4'] }),
  // The grant, its holder, its system and its ticket read; the ticket saved with the request, the
  // grant put; its schedule deleted and its revocation started.
  'http/revoke-grant': needs({
    table: ['GetItem', 'PutItem', 'UpdateItem'],
    workflow: { 'grant-revocation': ['StartExecution'] },
    grantSchedules: ['DeleteSchedule'],
  }),
  // The caller and the delegation read; marked deleted.
  'http/delete-delegation': needs({ table: ['GetItem', 'UpdateItem'] }),
  // The ticket read and saved as failed, its tasks' links taken out of the inboxes (gsi7, then
  // updated); the requester emailed.
  'workflow/record-failure': needs({
    dispatches: true,
    table: ['GetItem', 'PutItem', 'UpdateItem'],
    indexes: ['gsi7'],
    email: true,
  }),
  // A directory or catalog change (app/identity-changes.ts): the caller and the entry read, the
  // people it names read, the entry put on its revision (with its role memberships batch-written).
  // Then its effects: a departed or suspended person's inbox (gsi7) and the tasks and tickets it
  // names, the stage's people resolved (identities, system, the security group on the table's
  // ROLE# partition, batch-read); each ticket saved, its new viewers batch-written, the task put,
  // its links taken out of the old approvers' inboxes (gsi7, then updated), a link put and an
  // email sent to each new approver; a ticket left with nobody resumed (SendTaskSuccess) so its
  // execution ends. A departure: the person's service accounts (gsi2 OWNER#, batch-read, each put
  // flagged) and their tickets in flight (gsi5, batch-read), each cancelled as POST
  // /requests/{id}/cancel does (StopExecution); a manager change: the person's and
  // their service accounts' tickets pending approval (gsi5).
  // A departure: the person's grants listed (gsi1, batch-read), each revoked as
  // POST /grants/{id}/revoke does (the ticket saved, the grant put, its schedule deleted, its
  // revocation started).
  'http/put-directory-entry': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1', 'gsi2', 'gsi5', 'gsi7'],
    workflow: {
      'access-request': ['SendTaskSuccess', 'StopExecution'],
      'grant-revocation': ['StartExecution'],
    },
    grantSchedules: ['DeleteSchedule'],
    email: true,
  }),
  // An integration's signed event (app/webhooks-in.ts): its secrets read; the webhook id reserved,
  // completed or released as an idempotency record; then what the event does, as the route it
  // stands for: ticket.create as POST /requests, identity.* as PUT /directory/{id},
  // fulfilment.* as POST /requests/{id}/fulfilment.
  'http/receive-webhook': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi5', 'gsi7'],
    workflow: {
      'access-request': ['StartExecution', 'SendTaskSuccess', 'StopExecution'],
      'grant-revocation': ['StartExecution'],
    },
    grantSchedules: ['DeleteSchedule'],
    email: true,
    policies: true,
    webhookSecrets: true,
  }),
  // As above for a system: its owner and fulfillers read, the system put on its revision; a new
  // owner: the tickets waiting for approval (gsi3 STATUS#pending_approval, the system filtered in
  // the index, batch-read), each system-owner stage routed again and handed over as above.
  'http/put-catalog-system': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem', 'Query'],
    indexes: ['gsi3', 'gsi7'],
    workflow: { 'access-request': ['SendTaskSuccess'] },
    email: true,
  }),
  // A policy simulation (app/simulations.ts). Starting one: the caller looked up, the candidate
  // version put (content-addressed, not live), the job put, then StartExecution of the simulation
  // machine (a job that could not start is marked failed: UpdateItem).
  'http/start-policy-simulation': needs({
    table: ['GetItem', 'PutItem', 'UpdateItem'],
    workflow: { 'policy-simulation': ['StartExecution'] },
    policies: true,
  }),
  // The caller looked up, the job read.
  'http/get-policy-simulation': needs({ table: ['GetItem'] }),
  // The caller looked up, the latest verification read.
  'http/get-audit-verification': needs({ table: ['GetItem'] }),
  // The whole table scanned, projected to the keys and the attributes that carry chains; every checkpoint listed and read, and checked with the signing key's public
  // half (GetPublicKey); the result put twice (the latest, and its dated copy).
  'scheduled/audit-verify': needs({
    table: ['Scan', 'PutItem'],
    checkpoints: ['GetObject', 'ListBucket'],
    signingKey: ['GetPublicKey'],
  }),
  // The caller; the period's stored rollups (a Query on ROLLUPS); today's (and any missing day's)
  // rollup made: the day's submissions on gsi3, the last end of each beneficiary's grant of what they
  // ask for on gsi7 (ENDED#), the day's resolved tickets and feedback on gsi5, each batch-read, the
  // rollup put; the catalog (gsi3, batch-read) and each system's active standing grants old enough
  // to be flagged (gsi2 STANDING#, batch-read).
  'http/get-analytics': needs({
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'Query'],
    indexes: ['gsi2', 'gsi3', 'gsi5', 'gsi7'],
  }),
  // The caller; a page of stored reports (a Query on REPORTS).
  'http/list-analytics-reports': needs({ table: ['GetItem', 'Query'] }),
  // Yesterday's rollup, made as GET /analytics makes one; then which of the days before it have a
  // stored rollup (their keys, a Query on ROLLUPS), and each missed day's rollup made the same way.
  'scheduled/analytics-rollup': needs({
    table: ['BatchGetItem', 'PutItem', 'Query'],
    indexes: ['gsi3', 'gsi5', 'gsi7'],
  }),
  // Today's rollup so far, made as the nightly job makes yesterday's.
  'scheduled/analytics-today': needs({
    table: ['BatchGetItem', 'PutItem', 'Query'],
    indexes: ['gsi3', 'gsi5', 'gsi7'],
  }),
  // The week's report as GET /analytics computes it; for each rule candidate the live policies read,
  // the candidate set compiled with Cedar, stored, and its simulation job put and started; the report
  // put and emailed.
  'scheduled/weekly-report': needs({
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'Query'],
    indexes: ['gsi2', 'gsi3', 'gsi5', 'gsi7'],
    workflow: { 'policy-simulation': ['StartExecution'] },
    email: true,
    policies: true,
    charts: true,
  }),
  // The job and the candidate version read; the period's tickets counted (first step) and a page of
  // them read on gsi3, the tickets and their snapshots batch-read; the step written on the job.
  'workflow/simulate-page': needs({
    table: ['GetItem', 'BatchGetItem', 'UpdateItem'],
    indexes: ['gsi3'],
    policies: true,
  }),
  // Any job's failure (a simulation's, an export's): the job marked failed.
  'workflow/simulation-failed': needs({ table: ['UpdateItem'] }),
  // An audit export (app/audit-exports.ts). Starting one: the caller looked up, the job put, then
  // StartExecution of the export machine (a job that could not start is marked failed: UpdateItem).
  'http/start-audit-export': needs({
    table: ['GetItem', 'PutItem', 'UpdateItem'],
    workflow: { 'audit-export': ['StartExecution'] },
  }),
  // The caller looked up, the job read; once done, a download link signed.
  'http/get-audit-export': needs({ table: ['GetItem'], exportFiles: ['GetObject'] }),
  // The job read; the period's tickets counted (first step) and pages of them read on gsi3, the
  // tickets batch-read whole; the catalog (gsi3, batch-read) for entitlement classes; the file
  // written (whole, or a part, and the upload completed; a retried completion heads the file); the
  // step written on the job.
  'workflow/export-page': needs({
    table: ['GetItem', 'BatchGetItem', 'UpdateItem'],
    indexes: ['gsi3'],
    exportFiles: ['PutObject', 'GetObject'],
  }),
  // Tickets by status (batch-read), their tasks read; executions started, described, decisions resent;
  // the ticket of an execution that ended without it saved as failed, its tasks' links taken out of
  // the inboxes, its requester emailed; cancelled tickets whose stop failed found on gsi7, read,
  // their executions stopped and the stop saved on them.
  // SendTaskFailure is granted ahead of the code that calls it: reconcile is where tickets and
  // executions that disagree are settled, so it is the handler that will fail a wait whose ticket no
  // longer waits (no use case calls it yet).
  'scheduled/reconcile': needs({
    dispatches: true,
    table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'],
    indexes: ['gsi3', 'gsi7'],
    workflow: {
      'access-request': [
        'StartExecution',
        'SendTaskSuccess',
        'SendTaskFailure',
        'DescribeExecution',
        'StopExecution',
      ],
    },
    email: true,
  }),
  // The grants due (gsi5 REVOKE_DUE, batch-read), each one's ticket read, and the revocation the
  // ticket asks for started (a running one with that name is left as it is).
  'scheduled/revocation-sweep': needs({
    table: ['GetItem', 'BatchGetItem'],
    indexes: ['gsi5'],
    workflow: { 'grant-revocation': ['StartExecution'] },
  }),
  // The outbound dispatcher (app/outbound.ts). Handed a write's new events: the ticket read, the
  // deliveries looked for (BatchGetItem, keys only) and each missing one put; each attempt claimed
  // and recorded by a conditional PutItem, signed with the subscriber's secrets. On its schedule:
  // where the sweep stands read and moved on (GetItem, PutItem), each swept hour's changed tickets
  // (gsi6 CHANGED#, then their outboxes batch-read); the deliveries due (gsi5 DELIVERY_DUE,
  // batch-read) claimed, sent and recorded. Handed deliveries (a redrive): each read.
  'scheduled/webhook-dispatch': needs({
    table: ['GetItem', 'BatchGetItem', 'PutItem'],
    indexes: ['gsi5', 'gsi6'],
    subscriberSecrets: true,
  }),
  // The caller; a page of one status's deliveries (gsi3 DELIVERY#{status}), batch-read.
  'http/list-deliveries': needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi3'] }),
  // The caller and the delivery read, the delivery put pending again on its revision; the
  // dispatcher invoked to try it at once.
  'http/redrive-delivery': needs({ table: ['GetItem', 'PutItem'], dispatches: true }),
  // The latest checkpoint found by one-key listings and read; the changed chains' keys from gsi6
  // (each hour's partition, or the whole index for the first checkpoint), the tickets and grants
  // batch-read, the admin log's head read; the checkpoint signed with the KMS key and put.
  'scheduled/audit-checkpoint': needs({
    table: ['GetItem', 'BatchGetItem'],
    indexes: ['gsi6'],
    scans: ['gsi6'],
    checkpoints: ['PutObject', 'GetObject', 'ListBucket'],
    signingKey: ['Sign'],
  }),
};

/** The union of several handlers' needs: a console page does what the API routes it stands for do. */
function allOf(...parts: HandlerNeeds[]): HandlerNeeds {
  const union = <T>(lists: T[][]): T[] => [...new Set(lists.flat())];
  const workflow: HandlerNeeds['workflow'] = {};
  for (const part of parts) {
    for (const [machine, actions] of Object.entries(part.workflow) as [StateMachineName, WorkflowAction[]][])
      workflow[machine] = union([workflow[machine] ?? [], actions]);
  }
  return {
    table: union(parts.map((part) => part.table)),
    indexes: union(parts.map((part) => part.indexes)),
    workflow,
    grantSchedules: union(parts.map((part) => part.grantSchedules)),
    scans: union(parts.map((part) => part.scans)),
    checkpoints: union(parts.map((part) => part.checkpoints)),
    signingKey: union(parts.map((part) => part.signingKey)),
    exportFiles: union(parts.map((part) => part.exportFiles)),
    email: parts.some((part) => part.email),
    policies: parts.some((part) => part.policies),
    charts: parts.some((part) => part.charts),
    browserCharts: parts.some((part) => part.browserCharts),
    signingSecret: parts.some((part) => part.signingSecret),
    webhookSecrets: parts.some((part) => part.webhookSecrets),
    dispatches: parts.some((part) => part.dispatches),
    subscriberSecrets: parts.some((part) => part.subscriberSecrets),
  };
}

// Every console page (handlers/pages/session.ts): the session and the caller read; where the viewer
// works (app/workplaces.ts): the catalog and the queues (gsi3, batch-read), their approval,
// fulfilment and revocation inboxes (gsi7, batch-read), their direct reports (gsi1 MANAGER#).
const consolePage = needs({ table: ['GetItem', 'BatchGetItem'], indexes: ['gsi1', 'gsi3', 'gsi7'] });
// The revocation confirmed from the fulfiller's page, as the emailed link confirms it: the task and
// ticket read, the ticket saved, the revocation execution resumed.
const revocationConfirmed = needs({
  table: ['GetItem', 'PutItem', 'UpdateItem'],
  workflow: { 'grant-revocation': ['SendTaskSuccess'] },
});
const consolePages: Record<string, HandlerNeeds[]> = {
  'pages/home': [needsOf('http/list-requests'), needsOf('http/list-approvals')],
  // The catalog's preview asks policy as intake does, recording nothing.
  'pages/catalog': [needsOf('http/get-catalog'), needsOf('http/submit-request')],
  'pages/my-requests': [
    needsOf('http/list-requests'),
    needsOf('http/get-request'),
    needsOf('http/add-comment'),
    needsOf('http/cancel-request'),
    needsOf('http/extend-grant'),
  ],
  // And what the beneficiary holds (gsi7 HELD#).
  'pages/approvals': [
    needsOf('http/list-approvals'),
    needsOf('http/decide-approval'),
    needsOf('http/reassign-approval'),
  ],
  'pages/delegations': [needsOf('http/list-delegations'), needsOf('http/create-delegation')],
  'pages/fulfilments': [
    needsOf('http/list-fulfilments'),
    needsOf('http/report-fulfilment'),
    revocationConfirmed,
  ],
  'pages/support': [
    needsOf('http/list-fulfilments'),
    needsOf('http/assign-request'),
    needsOf('http/add-comment'),
    needsOf('http/report-fulfilment'),
  ],
  'pages/audit': [
    needsOf('http/list-requests'),
    needsOf('http/get-request'),
    needsOf('http/get-policy-inputs'),
    needsOf('http/get-audit-verification'),
    needsOf('http/start-audit-export'),
    needsOf('http/get-audit-export'),
  ],
  'pages/admin': [
    needsOf('http/get-policies'),
    needsOf('http/put-catalog-system'),
    needsOf('http/put-directory-entry'),
    needsOf('http/list-deliveries'),
    needsOf('http/redrive-delivery'),
  ],
  'pages/admin-policies': [
    needsOf('http/get-policies'),
    needsOf('http/get-policy-version'),
    needsOf('http/put-policies'),
    needsOf('http/start-policy-simulation'),
    needsOf('http/get-policy-simulation'),
  ],
  // The period's stored rollups (a Query on ROLLUPS), never a ticket; the catalog (gsi3,
  // batch-read) and each system's active standing grants old enough to be flagged (gsi2 STANDING#,
  // batch-read); the latest stored weekly reports, for the simulations they started of the rule
  // candidates, each read as GET /policies/simulations/{id} reads it.
  'pages/dashboard': [
    needs({ table: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi2', 'gsi3'] }),
    needsOf('http/list-analytics-reports'),
    needsOf('http/get-policy-simulation'),
  ],
  // The session deleted.
  'pages/sign-out': [needs({ table: ['DeleteItem'] })],
};
for (const [handler, parts] of Object.entries(consolePages))
  handlerNeeds[handler] = allOf(consolePage, ...parts);
// The sign-in's callback puts the session; the assets touch nothing, and carry ECharts for the dashboard.
handlerNeeds['pages/sign-in'] = needs({ table: ['PutItem'] });
handlerNeeds['pages/assets'] = needs({ signingSecret: false, browserCharts: true });

export function needsOf(handler: string): HandlerNeeds {
  const found = handlerNeeds[handler];
  if (!found) throw new Error(`lib/handler-needs.ts names no permissions for the handler ${handler}`);
  return found;
}

/** The IAM actions of a handler's table needs, for the stack and the tests alike. */
export const tableActionsFor = (handler: string): string[] =>
  needsOf(handler).table.map((action) => `dynamodb:${action}`);

/**
 * Item actions on the table itself, and Query on each index the handler queries, named one by one
 * rather than as `index/*`.
 */
export function grantTableAccess(grantee: IGrantable, table: ITable, handler: string): void {
  const { table: actions, indexes } = needsOf(handler);
  if (actions.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: tableActionsFor(handler), resources: [table.tableArn] }),
    );
  }
  if (indexes.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
      }),
    );
  }
  const { scans } = needsOf(handler);
  if (scans.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Scan'],
        resources: scans.map((index) => `${table.tableArn}/index/${index}`),
      }),
    );
  }
}

/** The handler's S3 actions on the audit checkpoints, and its KMS actions on the signing key alone. */
export function grantAuditTrail(
  grantee: IGrantable,
  audit: { bucketArn: string; keyArn: string },
  handler: string,
): void {
  const { checkpoints, signingKey } = needsOf(handler);
  grantCheckpointAccess(grantee, audit.bucketArn, checkpoints);
  if (signingKey.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: signingKey.map((action) => `kms:${action}`),
      resources: [audit.keyArn],
    }),
  );
}

/** The ARNs a state machine's grants name: the machine, and every one of its executions. */
export interface StateMachineArns {
  name: StateMachineName;
  stateMachine: string;
  executions: string;
}

/**
 * For each state machine the handler acts on: StartExecution, SendTaskSuccess and SendTaskFailure on
 * the state machine. The Service Authorization Reference lists no resource type for the task-token
 * actions, yet IAM evaluates them against the state machine of the execution that issued the token
 * (AccessDenied answers name `arn:aws:states:...:stateMachine:<name>`), and aws-cdk-lib's own
 * `grantTaskResponse` scopes them the same way; so they are scoped to the one state machine rather
 * than granted on `*`. DescribeExecution and StopExecution on the executions of that one state
 * machine (`execution:<name>:*`): they are named after tickets, which no policy can list in advance.
 */
export function grantWorkflowAccess(
  grantee: IGrantable,
  machines: StateMachineArns[],
  handler: string,
): void {
  const needed = needsOf(handler).workflow;
  for (const machine of machines) {
    const actions = needed[machine.name] ?? [];
    for (const [resource, arn] of [
      ['state machine', machine.stateMachine],
      ['executions', machine.executions],
    ] as const) {
      const onResource = actions.filter((action) => workflowActionResources[action] === resource);
      if (onResource.length === 0) continue;
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: onResource.map((action) => `states:${action}`), resources: [arn] }),
      );
    }
  }
}

/** The state machines whose executions a handler acts on (each needs its `execution:<name>:*` acknowledged). */
export const executionsActedOnBy = (handler: string): StateMachineName[] =>
  Object.entries(needsOf(handler).workflow)
    .filter(([, actions]) => actions?.some((action) => workflowActionResources[action] === 'executions'))
    .map(([name]) => name as StateMachineName);

/** ses:SendEmail on the sender's identities (and the configuration set, when one is used). */
export function grantEmail(grantee: IGrantable, resources: string[], handler: string): void {
  if (!needsOf(handler).email) return;
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['ses:SendEmail'], resources }));
}

/** What the grant-schedule grants name: the schedules, and the role their target runs as. */
export interface GrantScheduleArns {
  schedulesArn: string;
  role: { roleArn: string };
}

/**
 * The handler's Scheduler actions on the grant schedules (`schedule/default/grant-*`: they are
 * named after grants), and, when it creates or updates them, iam:PassRole on the one role their
 * target names, to Scheduler only.
 */
export function grantGrantSchedules(grantee: IGrantable, target: GrantScheduleArns, handler: string): void {
  const actions = needsOf(handler).grantSchedules;
  if (actions.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: actions.map((action) => `scheduler:${action}`),
      resources: [target.schedulesArn],
    }),
  );
  if (!actions.some((action) => passingTheRole.includes(action))) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [target.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    }),
  );
}

/** The handler's S3 actions on the export files only (`<exports bucket>/exports/*`). */
export function grantExportFiles(grantee: IGrantable, bucketArn: string, handler: string): void {
  const actions = needsOf(handler).exportFiles;
  if (actions.length === 0) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: actions.map((action) => `s3:${action}`),
      resources: [`${bucketArn}/${EXPORT_FILES_PREFIX}*`],
    }),
  );
}
