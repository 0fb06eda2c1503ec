import { encodeTime } from 'ulid';
import type { AdminEvent } from '../../domain/audit/admin-events';
import { executionStopDue } from '../../domain/cancellation';
import type { Delegation } from '../../domain/delegations';
import type { Grant } from '../../domain/grants';
import type { Delivery } from '../../domain/outbound/deliveries';
import { resolvedAt, type Ticket } from '../../domain/ticket';

/** A ticket's parties and what it asks for: set at intake and never changed. */
const ticketFacts = [
  'requester',
  'beneficiary',
  'system',
  'entitlement',
] as const satisfies readonly (keyof Ticket)[];

/**
 * THE single-table schema: the CDK table, the local store's bootstrap and every query read this
 * module, so keys, indexes and projections are defined exactly once.
 *
 * The indexes are final. A deployed table creates or deletes one global secondary index per update
 * (UpdateTable, and so CloudFormation), and an index's keys and projection cannot change once it
 * exists (only a delete and a new create can); so every access pattern the open issues (11-18) need
 * is served here, and later features add items and keys in these indexes, not indexes. DynamoDB
 * allows 20 indexes per table and 100 INCLUDE attributes over all of them: this uses 7 and 17.
 *
 * ## Items
 *
 * | item                              | pk                         | sk            |
 * |-----------------------------------|----------------------------|---------------|
 * | ticket                            | TICKET#{id}                | TICKET        |
 * | identity                          | IDENTITY#{id}              | IDENTITY      |
 * | role membership                   | ROLE#{role}                | IDENTITY#{id} |
 * | system (its entitlements inside)  | SYSTEM#{id}                | SYSTEM        |
 * | support queue                     | QUEUE#{id}                 | QUEUE         |
 * | idempotency record                | IDEMPOTENCY#{caller}#{key} | IDEMPOTENCY   |
 * | task (a wait)                     | TASK#{taskId}              | TASK          |
 * | link (one per person asked)       | LINK#{sha256(token)}       | LINK          |
 * | viewer (derived)                  | VIEWER#{identity}          | {ticketId}    |
 * | grant                             | GRANT#{id}                 | GRANT         |
 * | policy set version                | POLICYSET#{version}        | POLICYSET     |
 * | the live policy set's version, with every change hash-chained (the authority) | POLICIES | LIVE |
 * | policy inputs snapshot            | SNAPSHOT#{sha256}          | SNAPSHOT      |
 * | security event (a refusal)        | SECURITY#{yyyy-mm-dd}      | {at}#{actor}#{task id} |
 * | job (a policy simulation)         | JOB#{id}                   | JOB           |
 * | delegation (deleted ones kept)    | DELEGATION#{id}            | DELEGATION    |
 * | audit verification result         | AUDIT                      | VERIFY#LATEST, and a copy at VERIFY#{at} |
 * | the last ticket number allocated  | COUNTER                    | TICKET_NUMBER |
 * | feedback marker (its day in gsi5) | TICKET#{id}                | FEEDBACK      |
 * | analytics rollup of a day         | ROLLUPS                    | {yyyy-mm-dd}  |
 * | analytics report (weekly)         | REPORTS                    | {id}          |
 * | ticket number (names its ticket)  | NUMBER#{n}                 | NUMBER        |
 * | console session (TTL)             | SESSION#{sha256(id)}       | SESSION       |
 * | delivery of an outbound event to a subscriber (delivered ones: TTL 30 days) | DELIVERY#{id} | DELIVERY |
 * | where the outbound sweep reads next (the hour of changes) | OUTBOX           | SWEEP         |
 *
 * ## Indexes
 *
 * Every index is sparse (an item is in it only while it carries that index's two keys, which the
 * key builders below set only on the items that qualify) and overloaded: one partition per pattern,
 * at most one per item in each index.
 *
 * | index | projection                                          | partition              | holds                                         | sorted by            |
 * |-------|-----------------------------------------------------|------------------------|-----------------------------------------------|----------------------|
 * | gsi1  | INCLUDE requester, beneficiary, system, entitlement | REQUESTER#{id}         | tickets                                       | ticket id            |
 * |       |                                                     | MANAGER#{id}           | identities with a manager                     | identity id          |
 * |       |                                                     | HOLDER#{id}            | grants                                        | grant id             |
 * |       |                                                     | DELEGATOR#{id}         | delegations the person gave                   | {until}#{id}         |
 * | gsi2  | INCLUDE requester, beneficiary, system, entitlement | BENEFICIARY#{id}       | tickets                                       | ticket id            |
 * |       |                                                     | OWNER#{id}             | service accounts                              | identity id          |
 * |       |                                                     | DELEGATE#{id}          | delegations the person received               | {until}#{id}         |
 * |       |                                                     | STANDING#{system}      | standing grants while active                  | grant id             |
 * | gsi3  | INCLUDE requester, beneficiary, system, entitlement | STATUS#{status}        | tickets                                       | ticket id            |
 * |       |                                                     | DIRECTORY              | identities                                    | identity id          |
 * |       |                                                     | CATALOG, QUEUES        | systems, support queues                       | their id             |
 * |       |                                                     | NOTICE_DUE             | grants whose holder is still to be told of their end | {noticeAt}#{grant id} |
 * |       |                                                     | DELIVERY#{status}      | outbound deliveries (webhooks out)            | {createdAt}#{delivery id} |
 * | gsi4  | INCLUDE requester, beneficiary, system, entitlement | SYSTEM#{system}        | access tickets                                | ticket id            |
 * |       |                                                     | GRANTED#{system}       | grants                                        | grant id             |
 * | gsi5  | KEYS_ONLY                                           | INFLIGHT#{beneficiary} | tickets until resolved                        | {status}#{ticket id} |
 * |       |                                                     | RESOLVED#{yyyy-mm-dd}  | tickets once resolved (domain `resolvedAt`)   | ticket id            |
 * |       |                                                     | REVOKE_DUE             | grants whose revocation is due and not begun: time-bound and active, or asked to end | {until or asked at}#{grant id} |
 * |       |                                                     | DELIVERY_DUE           | outbound deliveries while pending             | {nextAttemptAt}#{delivery id} |
 * | gsi6  | KEYS_ONLY                                           | CHANGED#{yyyy-mm-ddThh}| tickets, by the hour of their last change; grants, directory entries, systems and the live policy set, by their last chained event's | ticket id; GRANT#, IDENTITY#, SYSTEM#{id}, POLICIES |
 * | gsi7  | INCLUDE taskId                                      | INBOX#{identity}       | links, until their task retires               | {kind}#{task id}     |
 * |       |                                                     | STOP_DUE               | cancelled tickets until their execution is recorded stopped | ticket id |
 * |       |                                                     | HELD#{holder}          | grants until they end                         | {system}#{entitlement}#{grant id} |
 * |       |                                                     | ENDED#{holder}         | grants once ended                             | {system}#{entitlement}#{ended at}#{grant id} |
 *
 * Why these projections. No index projects ALL, so a ticket write reaches an index only when its
 * key there moves (a status change, the resolution, the first change in an hour: a delete and a
 * put in that index), and an update that changes neither a key nor a projected attribute writes no
 * index at all: a decision, a fulfilment report or a later change within the hour write the ticket
 * alone. Each index item stays under 1 KB, one write unit. Lists take keys from the index and read
 * the items by BatchGetItem: a list is read far less often than a ticket is written, and the items
 * read are current rather than the index's copy. The four facts projected in gsi1-gsi4 are set at
 * intake and never change, so projecting them adds no index write; the auditor's search (issue 14)
 * filters on them in the index before it reads a ticket. Directory, catalog and queue lists read
 * their items by BatchGetItem too: they are small and cached per process
 * (adapters/cached-directory.ts), and an ALL or a wide INCLUDE would copy every ticket into gsi3.
 *
 * Ticket ids are ULIDs: an index sorted by ticket id lists newest first, and a period of submission
 * is a range of ids. A link is its recipient's inbox entry: a link is written for each person asked
 * anyway, so the inbox costs no write of its own, and retiring a task takes its links out of gsi7.
 * Viewer items stay items: a ticket names several approvers and fulfillers but can be in one
 * partition of an index, and fulfillers see a ticket from intake, before any link names them.
 *
 * ## Access patterns
 *
 * | pattern (issue)                                                                  | served by                                          | the query reads, then                        |
 * |----------------------------------------------------------------------------------|----------------------------------------------------|----------------------------------------------|
 * | a ticket, task, link, identity, system, idempotency record or grant by id        | table, GetItem                                     | the item                                     |
 * | a requester's tickets, newest first (GET /requests), or in a period (auditor, 14, 18) | gsi1 REQUESTER#{id}, ids below the cursor or in the period | keys, facts to filter on; tickets by BatchGetItem |
 * | a beneficiary's tickets, and those of the service accounts one owns              | gsi2 BENEFICIARY#{id}                              | as above                                     |
 * | tickets by status (oversight; reconcile's in-flight tickets; auditor, 14)         | gsi3 STATUS#{status}                               | as above                                     |
 * | tickets submitted in a period (volume 16, simulation 11, export 14)              | gsi3 STATUS#{status}, each status over the period's ids | as above                                |
 * | tickets that name a person as approver or fulfiller                              | table, VIEWER#{identity}                           | ticket ids; tickets by BatchGetItem          |
 * | an auditor's search by system, entitlement and period (14, 18)                   | gsi4 SYSTEM#{system}, entitlement filtered in the index | keys; tickets by BatchGetItem           |
 * | an auditor's search by person, system and period (14, 18)                        | gsi1 and gsi2 for the person, system filtered in the index | keys; tickets by BatchGetItem        |
 * | a beneficiary's tickets in flight: what they are about to hold (policy, 11: sort key begins `fulfilling#`), what a departure cancels (12), the manager stages a manager change moves (12: `pending_approval#`) | gsi5 INFLIGHT#{beneficiary} | keys; tickets by BatchGetItem |
 * | a system's tickets waiting for approval: the owner stages a change of owner moves (12)    | gsi3 STATUS#pending_approval, system filtered in the index | keys; tickets by BatchGetItem |
 * | a period's resolved tickets, a day at a time (analytics rollups, 16)             | gsi5 RESOLVED#{yyyy-mm-dd}                         | keys; tickets by BatchGetItem                |
 * | tickets and grants changed since the last audit checkpoint (14): each hour from the checkpoint's, a superset by under an hour | gsi6 CHANGED#{yyyy-mm-ddThh} | keys; tickets and grants by BatchGetItem for their chain heads |
 * | every chain, for the first audit checkpoint (14)                                  | gsi6, Scan (each item is in it once)               | keys; items by BatchGetItem                  |
 * | a person's open approval or fulfilment tasks (inboxes); a departed approver's open stages (12) | gsi7 INBOX#{identity}, sort key begins {kind}# | task ids; tasks by BatchGetItem     |
 * | a task's inbox entries, when it retires                                          | gsi7 INBOX#{assignee}, sort key {kind}#{taskId}    | the links' keys                              |
 * | cancelled tickets whose execution is still to be stopped (reconcile, 12)         | gsi7 STOP_DUE                                      | ticket ids                                   |
 * | a manager's direct reports (a manager change, 12)                                | gsi1 MANAGER#{id}                                  | keys; identities by BatchGetItem             |
 * | an owner's service accounts (GET /requests; flagged when the owner departs, 12)  | gsi2 OWNER#{id}                                    | keys; identities by BatchGetItem             |
 * | the directory; the catalog; the support queues                                   | gsi3 DIRECTORY, CATALOG, QUEUES                    | keys; items by BatchGetItem                  |
 * | a role's members (the security group)                                            | table, ROLE#{role}                                 | identity ids; identities by BatchGetItem     |
 * | a holder's grants (GET /grants?identity=; a departure, 12, 13)                   | gsi1 HOLDER#{id}, system and entitlement filtered in the index | keys; grants by BatchGetItem |
 * | a system's grants (GET /grants?system=, 13)                                      | gsi4 GRANTED#{system}                              | keys; grants by BatchGetItem                 |
 * | when a holder's last grant of an entitlement ended before an instant (the analytics' re-requests, 16) | gsi7 ENDED#{holder}, sort key between {system}#{entitlement}# and that instant, newest first, 1 | the key: it holds the end |
 * | a system's active standing grants (the analytics' unreviewed-grants signal, 16)  | gsi2 STANDING#{system}                             | keys; grants by BatchGetItem                 |
 * | grants due for revocation (the sweep, 13)                                        | gsi5 REVOKE_DUE, sort key up to now                | keys; grants by BatchGetItem                 |
 * | grants whose expiry notice is due (13)                                           | gsi3 NOTICE_DUE, sort key up to now                | keys; grants by BatchGetItem                 |
 * | what a holder holds (policies, 11); their active grants of one entitlement (overlaps, 13) | gsi7 HELD#{holder}, sort key begins {system}#{entitlement}# | keys; grants by BatchGetItem for overlaps |
 * | the delegations of an approver that have not ended (a stage opening, 12)         | gsi1 DELEGATOR#{id}, sort key after now            | keys; delegations by BatchGetItem            |
 * | a person's delegations, given and received, latest-ending first (GET /delegations, 12) | gsi1 DELEGATOR#{id} and gsi2 DELEGATE#{id}   | keys; delegations by BatchGetItem            |
 * | deliveries due for an attempt (webhooks out, 15): pending, keyed by their next attempt (while one is under way, by the end of its lease) | gsi5 DELIVERY_DUE, sort key up to now | keys; deliveries by BatchGetItem |
 * | deliveries by status, newest first (GET /webhooks/deliveries?status=, 15)        | gsi3 DELIVERY#{status} / {createdAt}#{id}          | keys; deliveries by BatchGetItem             |
 * | tickets changed in an hour, for their events that lack a delivery (the outbound sweep, 15) | gsi6 CHANGED#{yyyy-mm-ddThh}, ticket ids only | keys; tickets' outboxes by BatchGetItem |
 * | grants' and admin records' chains changed since the last checkpoint (13, 14)     | gsi6 CHANGED#{yyyy-mm-ddThh}                       | keys; items by BatchGetItem                  |
 * | satisfaction by the day feedback was given (16)                                  | gsi5 FEEDBACK#{yyyy-mm-dd}, on TICKET#{id} / FEEDBACK | keys; feedback by BatchGetItem            |
 * | a ticket by number, TG-{n} (14): numbers are counted out by COUNTER / TICKET_NUMBER | table, NUMBER#{n}: written before its ticket, it holds the ticket id | the ticket id; the ticket, if it carries that number |
 * | policy versions, snapshots, jobs, daily rollups, reports, checkpoints, sessions, webhook ids (11-17) | table, by key; lists by sort key in a partition of their own | the items |
 * | - jobs: a job by id, its progress and result (policy simulation 11; audit exports 14) | table, JOB#{id} / JOB; its id is a ULID and names its execution | the item |
 */
export const table = {
  logicalName: 'Tickets',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB deletes the item (on items that should expire). */
  timeToLiveAttribute: 'ttl',
  /** `projected`: what an index holds besides the keys, KEYS_ONLY when nothing (see the table above). */
  indexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projected: ticketFacts },
    { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projected: ticketFacts },
    { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projected: ticketFacts },
    { name: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projected: ticketFacts },
    { name: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk', projected: [] },
    { name: 'gsi6', partitionKey: 'gsi6pk', sortKey: 'gsi6sk', projected: [] },
    { name: 'gsi7', partitionKey: 'gsi7pk', sortKey: 'gsi7sk', projected: ['taskId'] },
  ],
} as const;

export type IndexName = (typeof table.indexes)[number]['name'];
type Index = (typeof table.indexes)[number];
type IndexKeyAttribute = Index['partitionKey'] | Index['sortKey'];

/** What an index holds besides the keys, as CreateTable and CloudFormation name it. */
export function projectionOf(
  index: Index,
): { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; attributes: string[] } {
  return index.projected.length === 0
    ? { type: 'KEYS_ONLY' }
    : { type: 'INCLUDE', attributes: [...index.projected] };
}

/** Every attribute that is a key of the table or of an index: what adapters strip off an item. */
export const keyAttributes: ReadonlySet<string> = new Set([
  table.partitionKey,
  table.sortKey,
  ...table.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/**
 * Each partition that a query reads, named by what it holds: in an index, or in the table itself
 * (`index: null`). The key builders and the queries both read it, so a partition's place is
 * written once. A prefix without `#` is a whole partition key.
 */
export const partitions = {
  requester: { index: 'gsi1', prefix: 'REQUESTER#' },
  manager: { index: 'gsi1', prefix: 'MANAGER#' },
  holder: { index: 'gsi1', prefix: 'HOLDER#' },
  delegator: { index: 'gsi1', prefix: 'DELEGATOR#' },
  beneficiary: { index: 'gsi2', prefix: 'BENEFICIARY#' },
  owner: { index: 'gsi2', prefix: 'OWNER#' },
  delegate: { index: 'gsi2', prefix: 'DELEGATE#' },
  standingGrants: { index: 'gsi2', prefix: 'STANDING#' },
  status: { index: 'gsi3', prefix: 'STATUS#' },
  directory: { index: 'gsi3', prefix: 'DIRECTORY' },
  catalog: { index: 'gsi3', prefix: 'CATALOG' },
  queues: { index: 'gsi3', prefix: 'QUEUES' },
  systemTickets: { index: 'gsi4', prefix: 'SYSTEM#' },
  systemGrants: { index: 'gsi4', prefix: 'GRANTED#' },
  inFlight: { index: 'gsi5', prefix: 'INFLIGHT#' },
  resolved: { index: 'gsi5', prefix: 'RESOLVED#' },
  feedback: { index: 'gsi5', prefix: 'FEEDBACK#' },
  revocationDue: { index: 'gsi5', prefix: 'REVOKE_DUE' },
  noticeDue: { index: 'gsi3', prefix: 'NOTICE_DUE' },
  deliveries: { index: 'gsi3', prefix: 'DELIVERY#' },
  deliveryDue: { index: 'gsi5', prefix: 'DELIVERY_DUE' },
  held: { index: 'gsi7', prefix: 'HELD#' },
  endedGrants: { index: 'gsi7', prefix: 'ENDED#' },
  changed: { index: 'gsi6', prefix: 'CHANGED#' },
  inbox: { index: 'gsi7', prefix: 'INBOX#' },
  stopDue: { index: 'gsi7', prefix: 'STOP_DUE' },
  viewer: { index: null, prefix: 'VIEWER#' },
  role: { index: null, prefix: 'ROLE#' },
  rollups: { index: null, prefix: 'ROLLUPS' },
  reports: { index: null, prefix: 'REPORTS' },
} as const satisfies Record<string, { index: IndexName | null; prefix: string }>;

export type PartitionName = keyof typeof partitions;
type IndexPartitionName = {
  [Name in PartitionName]: (typeof partitions)[Name]['index'] extends null ? never : Name;
}[PartitionName];

/** The key attributes of the partition's index, or of the table for a partition of the table. */
export function keyAttributesOf(name: PartitionName): { partitionKey: string; sortKey: string } {
  const { index } = partitions[name];
  return table.indexes.find((candidate) => candidate.name === index) ?? table;
}

/** How a query narrows a partition on its sort key. */
export type SortCondition =
  | { op: '<' | '>' | '=' | 'begins_with'; value: string }
  | { op: 'between'; low: string; high: string };

/** The parts of a Query input that read one partition, narrowed by `sort` when given. */
export function partitionQuery(name: PartitionName, value: string, sort?: SortCondition) {
  const { index, prefix } = partitions[name];
  const { partitionKey, sortKey } = keyAttributesOf(name);
  const onSortKey = !sort
    ? ''
    : sort.op === 'begins_with'
      ? ' AND begins_with(#sk, :sk)'
      : sort.op === 'between'
        ? ' AND #sk BETWEEN :low AND :high'
        : ` AND #sk ${sort.op} :sk`;
  const sortValues = !sort
    ? {}
    : sort.op === 'between'
      ? { ':low': sort.low, ':high': sort.high }
      : { ':sk': sort.value };
  return {
    ...(index ? { IndexName: index } : {}),
    KeyConditionExpression: `#pk = :pk${onSortKey}`,
    ExpressionAttributeNames: { '#pk': partitionKey, ...(sort ? { '#sk': sortKey } : {}) },
    ExpressionAttributeValues: { ':pk': `${prefix}${value}`, ...sortValues },
  };
}

/** A partition's query narrowed further by a filter on attributes the index projects. */
export function withFilter(
  query: ReturnType<typeof partitionQuery>,
  expression: string,
  filter: { names: Record<string, string>; values: Record<string, unknown> },
) {
  return {
    ...query,
    FilterExpression: expression,
    ExpressionAttributeNames: { ...query.ExpressionAttributeNames, ...filter.names },
    ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ...filter.values },
  };
}

/** The key a query of a partition resumes after: the item's key in the partition, and its table key. */
export function startAfter(name: PartitionName, value: string, sort: string, tableKey: Keys): Keys {
  const { partitionKey, sortKey } = keyAttributesOf(name);
  return { ...tableKey, [partitionKey]: `${partitions[name].prefix}${value}`, [sortKey]: sort };
}

export type Keys = { pk: string; sk: string } & Partial<Record<IndexKeyAttribute, string>>;

/** The two attributes that put an item in a partition of an index, at `sort` in it. */
function inPartition(name: IndexPartitionName, value: string, sort: string): Partial<Keys> {
  const { partitionKey, sortKey } = keyAttributesOf(name);
  return { [partitionKey]: `${partitions[name].prefix}${value}`, [sortKey]: sort };
}

/** A key of the table itself, in one of its queried partitions. */
const inTablePartition = (
  name: 'viewer' | 'role' | 'rollups' | 'reports',
  value: string,
  sort: string,
): Keys => ({
  pk: `${partitions[name].prefix}${value}`,
  sk: sort,
});

/** ISO 8601 UTC times cut to the day (yyyy-mm-dd) and to the hour (yyyy-mm-ddThh). */
const day = (at: string) => at.slice(0, 10);
const hour = (at: string) => at.slice(0, 13);

/** A chained record's place in the changes since the last audit checkpoint: the hour of its last event. */
const lastChanged = (events: readonly { at: string }[], sort: string): Partial<Keys> => {
  const last = events.at(-1);
  return last ? inPartition('changed', hour(last.at), sort) : {};
};

/** When a grant ended: its `grant_ended` event's time. */
const grantEndedAt = (grant: Pick<Grant, 'events'>): string =>
  grant.events.findLast((event) => event.to === 'ended')?.at ?? '';

export const keys = {
  ticket: (
    ticket: Pick<
      Ticket,
      'id' | 'requester' | 'beneficiary' | 'status' | 'closure' | 'system' | 'updatedAt' | 'timeline'
    >,
  ): Keys => {
    const resolved = resolvedAt(ticket);
    return {
      ...keys.ticketId(ticket.id),
      ...inPartition('requester', ticket.requester, ticket.id),
      ...inPartition('beneficiary', ticket.beneficiary, ticket.id),
      ...inPartition('status', ticket.status, ticket.id),
      ...(ticket.system ? inPartition('systemTickets', ticket.system, ticket.id) : {}),
      ...(resolved
        ? inPartition('resolved', day(resolved), ticket.id)
        : // By status, so that what a beneficiary is about to hold is one narrow Query, however many
          // of their tickets wait for approval; a status change moves the entry within the partition.
          inPartition('inFlight', ticket.beneficiary, `${ticket.status}#${ticket.id}`)),
      // By the hour, so the many changes of a ticket within one hour move its entry once.
      ...inPartition('changed', hour(ticket.updatedAt), ticket.id),
      // In the same write as the cancellation, so a crash before the stop cannot lose it.
      ...(executionStopDue(ticket) ? inPartition('stopDue', '', ticket.id) : {}),
    };
  },
  ticketId: (id: string): Keys => ({ pk: `TICKET#${id}`, sk: 'TICKET' }),
  /** One item counts up (UpdateItem ADD): a number is allocated once, whoever asks at the same time. */
  ticketNumberCounter: (): Keys => ({ pk: 'COUNTER', sk: 'TICKET_NUMBER' }),
  ticketNumber: (allocated: number): Keys => ({ pk: `NUMBER#${allocated}`, sk: 'NUMBER' }),
  /** With its admin history: in the changes since the last audit checkpoint (gsi6), like tickets. */
  identity: (
    identity: { id: string; managerId: string | null; ownerId: string | null },
    history: readonly AdminEvent[] = [],
  ): Keys => ({
    ...keys.identityId(identity.id),
    ...(identity.managerId ? inPartition('manager', identity.managerId, identity.id) : {}),
    ...(identity.ownerId ? inPartition('owner', identity.ownerId, identity.id) : {}),
    ...inPartition('directory', '', identity.id),
    ...lastChanged(history, `IDENTITY#${identity.id}`),
  }),
  identityId: (id: string): Keys => ({ pk: `IDENTITY#${id}`, sk: 'IDENTITY' }),
  roleMembership: (role: string, identityId: string): Keys =>
    inTablePartition('role', role, `IDENTITY#${identityId}`),
  system: (id: string, history: readonly AdminEvent[] = []): Keys => ({
    ...keys.systemId(id),
    ...inPartition('catalog', '', id),
    ...lastChanged(history, `SYSTEM#${id}`),
  }),
  systemId: (id: string): Keys => ({ pk: `SYSTEM#${id}`, sk: 'SYSTEM' }),
  supportQueue: (id: string): Keys => ({ pk: `QUEUE#${id}`, sk: 'QUEUE', ...inPartition('queues', '', id) }),
  idempotency: (caller: string, key: string): Keys => ({
    pk: `IDEMPOTENCY#${caller}#${key}`,
    sk: 'IDEMPOTENCY',
  }),
  task: (id: string): Keys => ({ pk: `TASK#${id}`, sk: 'TASK' }),
  link: (hash: string): Keys => ({ pk: `LINK#${hash}`, sk: 'LINK' }),
  policyVersion: (version: string): Keys => ({ pk: `POLICYSET#${version}`, sk: 'POLICYSET' }),
  livePolicies: (history: readonly AdminEvent[] = []): Keys => ({
    pk: 'POLICIES',
    sk: 'LIVE',
    ...lastChanged(history, 'POLICIES'),
  }),
  snapshot: (hash: string): Keys => ({ pk: `SNAPSHOT#${hash}`, sk: 'SNAPSHOT' }),
  /** By day: security reads and counts a day's refusals with one Query. */
  securityEvent: (event: { at: string; actor: string; taskId: string }): Keys => ({
    pk: `SECURITY#${day(event.at)}`,
    sk: `${event.at}#${event.actor}#${event.taskId}`,
  }),
  job: (id: string): Keys => ({ pk: `JOB#${id}`, sk: 'JOB' }),
  /** The scheduled audit verification's result: the latest, read by GET /audit/verify, and one copy per run. */
  latestVerification: (): Keys => ({ pk: 'AUDIT', sk: 'VERIFY#LATEST' }),
  verification: (at: string): Keys => ({ pk: 'AUDIT', sk: `VERIFY#${at}` }),
  /** Under its owner and its delegate, by when it ends: what has not ended is one range of the sort key. */
  delegation: (delegation: Pick<Delegation, 'id' | 'owner' | 'delegate' | 'until'>): Keys => ({
    ...keys.delegationId(delegation.id),
    ...inPartition('delegator', delegation.owner, delegationSort(delegation)),
    ...inPartition('delegate', delegation.delegate, delegationSort(delegation)),
  }),
  delegationId: (id: string): Keys => ({ pk: `DELEGATION#${id}`, sk: 'DELEGATION' }),
  /** On a link: lists its task in the recipient's inbox until the task retires. */
  inboxEntry: (identityId: string, kind: string, taskId: string): Partial<Keys> =>
    inPartition('inbox', identityId, inboxSort(kind, taskId)),
  viewer: (identityId: string, ticketId: string): Keys => inTablePartition('viewer', identityId, ticketId),
  grant: (
    grant: Pick<
      Grant,
      | 'id'
      | 'holder'
      | 'system'
      | 'entitlement'
      | 'until'
      | 'status'
      | 'revocationDueAt'
      | 'noticeDueAt'
      | 'events'
    >,
  ): Keys => ({
    ...keys.grantId(grant.id),
    ...inPartition('holder', grant.holder, grant.id),
    ...inPartition('systemGrants', grant.system, grant.id),
    // Standing access has no end to find it by: while active, it is listed apart.
    ...(grant.until === null && grant.status === 'active'
      ? inPartition('standingGrants', grant.system, grant.id)
      : {}),
    ...(grant.revocationDueAt !== null
      ? inPartition('revocationDue', '', `${grant.revocationDueAt}#${grant.id}`)
      : {}),
    ...(grant.noticeDueAt ? inPartition('noticeDue', '', `${grant.noticeDueAt}#${grant.id}`) : {}),
    // Held until the revocation is confirmed; sorted so that one entitlement's grants are one range.
    // Once ended, in the same index by when it ended, so the last end of an entitlement is one key.
    ...(grant.status !== 'ended'
      ? inPartition('held', grant.holder, `${grant.system}#${grant.entitlement}#${grant.id}`)
      : inPartition(
          'endedGrants',
          grant.holder,
          `${grant.system}#${grant.entitlement}#${grantEndedAt(grant)}#${grant.id}`,
        )),
    // By the hour of its last event, like tickets, for the audit checkpoint.
    ...changedGrant(grant),
  }),
  grantId: (id: string): Keys => ({ pk: `GRANT#${id}`, sk: 'GRANT' }),
  /**
   * A delivery of an outbound event: listed under its status, newest first, and while pending, in
   * the due partition by its next attempt (a claimed attempt's lease end, while one is under way).
   */
  delivery: (delivery: Pick<Delivery, 'id' | 'status' | 'createdAt' | 'nextAttemptAt'>): Keys => ({
    ...keys.deliveryId(delivery.id),
    ...inPartition('deliveries', delivery.status, `${delivery.createdAt}#${delivery.id}`),
    ...(delivery.status === 'pending' && delivery.nextAttemptAt
      ? inPartition('deliveryDue', '', `${delivery.nextAttemptAt}#${delivery.id}`)
      : {}),
  }),
  deliveryId: (id: string): Keys => ({ pk: `DELIVERY#${id}`, sk: 'DELIVERY' }),
  /** The hour of ticket changes the outbound sweep reads next. */
  outboundSweep: (): Keys => ({ pk: 'OUTBOX', sk: 'SWEEP' }),
  /** A console session, by the SHA-256 of its id: the cookie's value is never stored. */
  session: (idHash: string): Keys => ({ pk: `SESSION#${idHash}`, sk: 'SESSION' }),
  /**
   * Beside its ticket, once feedback is given: the ticket's own gsi5 entry is its resolution day, so
   * the day of the feedback, which satisfaction is counted by, needs an item of its own.
   */
  feedback: (ticketId: string, at: string): Keys => ({
    pk: `TICKET#${ticketId}`,
    sk: 'FEEDBACK',
    ...inPartition('feedback', day(at), ticketId),
  }),
  /** One analytics rollup per day (re-running the day replaces it); a period is one range of days. */
  rollup: (forDay: string): Keys => inTablePartition('rollups', '', forDay),
  /** A stored analytics report, by its id (a ULID): newest last. */
  report: (id: string): Keys => inTablePartition('reports', '', id),
  /**
   * The admin log's head ({seq, hash} of its last event), which the audit checkpoint anchors. The
   * admin log itself (policy changes and admin actions) is issue 14's lead's: this key is the hook
   * the checkpoint reads, to be kept in step with it.
   */
};

function changedGrant(grant: Pick<Grant, 'id' | 'events'>): Partial<Keys> {
  const last = grant.events.at(-1);
  return last ? inPartition('changed', hour(last.at), `GRANT#${grant.id}`) : {};
}

/**
 * The ticket ids (ULIDs) made from `from` up to `to`, both included: a ULID starts with its
 * millisecond timestamp in Crockford base 32, so the ids of a period are a range of sort keys.
 */
export function idsSubmitted(period: { from: Date; to: Date }): { low: string; high: string } {
  return {
    low: `${encodeTime(period.from.getTime(), 10)}${'0'.repeat(16)}`,
    high: `${encodeTime(period.to.getTime(), 10)}${'Z'.repeat(16)}`,
  };
}

/** Below this, the ids of the grants whose ticket was filed before `at`: `G` and the ticket's ULID, which starts with its time. */
export const grantIdsFiledBefore = (at: Date): string => `G${encodeTime(at.getTime(), 10)}`;

/** A delegation's place under its owner and its delegate: by when it ends, then by id. */
export const delegationSort = (delegation: Pick<Delegation, 'id' | 'until'>) =>
  `${delegation.until}#${delegation.id}`;

/** A task's place in its assignees' inboxes: under its kind, by task id. */
export const inboxSort = (kind: string, taskId: string) => `${kind}#${taskId}`;

/** Attribute definitions, key schemas and projections in the shape of CreateTable, for the local bootstrap. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...keyAttributes].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: table.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: table.indexes.map((index) => {
      const projection = projectionOf(index);
      return {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection:
          projection.type === 'INCLUDE'
            ? { ProjectionType: projection.type, NonKeyAttributes: projection.attributes }
            : { ProjectionType: projection.type },
      };
    }),
  };
}
