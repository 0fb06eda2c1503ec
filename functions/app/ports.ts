import type { Chart } from '../domain/analytics/charts';
import type { AnalyticsReport } from '../domain/analytics/report';
import type { DayRollup } from '../domain/analytics/rollup';
import type { AdminEvent } from '../domain/audit/admin-events';
import type { ChainHead, CheckpointPart, SignedCheckpoint } from '../domain/audit/checkpoint';
import type { VerificationReport } from '../domain/audit/verification';
import type { WaitPhase } from '../domain/deadlines';
import type { Delegation } from '../domain/delegations';
import type { DirectoryView, Identity, Role, System } from '../domain/directory';
import type { Grant } from '../domain/grants';
import type { Status } from '../domain/lifecycle';
import type { AttemptResult, Delivery, DeliveryStatus, Subscriber } from '../domain/outbound/deliveries';
import type { OutboundEvent } from '../domain/outbound/events';
import type { PolicyInputs } from '../domain/policy/inputs';
import type { AskPolicies } from '../domain/policy/outcome';
import type { Policies } from '../domain/policy/policy-set';
import type { RevocationInput } from '../domain/revocation';
import type { Ticket } from '../domain/ticket';
import type { TimelineEvent } from '../domain/timeline';
import type { WaitKind } from '../domain/workflow';

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A ULID: sortable by creation time, and a valid Step Functions execution name. */
  ticketId(): string;
  /** A ULID too: a job's execution is named after it. */
  jobId(): string;
}

export interface SupportQueue {
  id: string;
  name: string;
  categories: string[];
  members: string[];
}

export interface Directory extends DirectoryView {
  identity(id: string): Promise<Identity | undefined>;
  identitiesWithRole(role: Role): Promise<Identity[]>;
  system(id: string): Promise<System | undefined>;
  catalog(): Promise<System[]>;
  supportQueues(): Promise<SupportQueue[]>;
  serviceAccountsOwnedBy(ownerId: string): Promise<Identity[]>;
}

/** A directory or catalog entry as stored, with the revision a write that replaces it names. */
export interface StoredEntry<T> {
  entry: T;
  /** How many times the entry was written through `DirectoryStore`; 0 for one written otherwise (seeding). */
  revision: number;
  /** The admin actions that wrote it, hash-chained; empty for an entry written otherwise (seeding). */
  history: AdminEvent[];
}

/**
 * The directory and catalog as stored, read fresh (never from a process's cache) and written one
 * entry at a time, each write on the revision it replaces: of two changes to one entry made at
 * once, one is written and the other is refused, to be read again and reapplied.
 */
export interface DirectoryStore extends Directory {
  storedIdentity(id: string): Promise<StoredEntry<Identity> | undefined>;
  storedSystem(id: string): Promise<StoredEntry<System> | undefined>;
  /**
   * Writes the entry (with its role memberships) if it is still at `revision`, or, for `null`, if
   * there is none yet; throws DirectoryEntryChangedError otherwise.
   */
  putIdentity(identity: Identity, revision: number | null, history: AdminEvent[]): Promise<void>;
  putSystem(system: System, revision: number | null, history: AdminEvent[]): Promise<void>;
}

/**
 * One partition of tickets, newest first: by requester, beneficiary, status or system (ticket
 * indexes), or by viewer (the approvers and fulfillers a ticket names, kept as derived items).
 */
export type TicketPartition = {
  by: 'requester' | 'beneficiary' | 'status' | 'system' | 'viewer';
  value: string;
};

/** The facts set at intake that the ticket indexes hold beside each key: filtered in the index. */
export type TicketFacts = Partial<Record<'requester' | 'beneficiary' | 'system' | 'entitlement', string>>;

/** Tickets submitted from `from` up to `to`, both included. */
export interface Period {
  from: Date;
  to: Date;
}

/** What a list reads: the union of the partitions, narrowed; a viewer partition takes no facts or period. */
export interface TicketListQuery {
  partitions: TicketPartition[];
  /** Checked on each ticket read, as it is now: an index entry may lag a status change. */
  status?: Status;
  facts?: TicketFacts;
  period?: Period;
  afterId?: string;
  limit: number;
}

/** A ticket without its timeline: what lists carry. */
export type TicketSummary = Omit<Ticket, 'timeline' | 'outbox'>;

export interface TicketPage {
  items: TicketSummary[];
  /** Set when more tickets follow: the id of the last one returned, to continue after. */
  lastId: string | null;
}

export interface TicketStore {
  get(id: string): Promise<Ticket | undefined>;
  /**
   * Writes a new ticket and the item that finds it by number; throws TicketExistsError when one with
   * this id is already stored.
   */
  create(ticket: Ticket): Promise<void>;
  /**
   * The next ticket number, from one atomic counter. A number is never given twice; one taken by a
   * submission that then fails is a gap.
   */
  allocateNumber(): Promise<number>;
  /** The ticket that carries this number, if one does. */
  getByNumber(allocated: number): Promise<Ticket | undefined>;
  /** One conditional write: succeeds only if the stored ticket is still at `readVersion`. */
  save(ticket: Ticket, readVersion: number): Promise<void>;
  /**
   * The entitlements of a beneficiary's tickets that are approved and not yet fulfilled: what they
   * are about to hold, for policies to see.
   */
  entitlementsApprovedFor(beneficiary: string): Promise<{ ticketId: string; entitlement: string }[]>;
  /** The ids of cancelled tickets whose execution is not yet recorded as stopped (domain executionStopDue). */
  executionsToStop(): Promise<string[]>;
  /**
   * A beneficiary's tickets not yet resolved (submitted, pending approval or fulfilling), read as
   * they are now; only those in `status` when given.
   */
  inFlightFor(beneficiary: string, status?: Status): Promise<Ticket[]>;
  /** The tickets on a system that wait for an approval, read as they are now. */
  awaitingApprovalOn(system: string): Promise<Ticket[]>;
  /** Records that these people are named on the ticket, so it is listed for them; a repeat is harmless. */
  addViewers(ticketId: string, identityIds: string[]): Promise<void>;
  /** The union of the partitions, newest first, without duplicates. */
  list(query: TicketListQuery): Promise<TicketPage>;
}

export interface IdempotencyRecord {
  caller: string;
  key: string;
  bodyHash: string;
  ticketId: string;
  expiresAt: string;
  response: unknown | null;
}

export interface IdempotencyStore {
  /**
   * Stores the record unless a live one exists for (caller, key); answers the record in force,
   * which is the given one when this call won.
   */
  reserve(record: IdempotencyRecord, now: Date): Promise<IdempotencyRecord>;
  /**
   * Records the response unless one is recorded already, and answers the one recorded: the first
   * response sent stays the key's answer. Answers `response` when the reservation is gone.
   */
  complete(caller: string, key: string, response: unknown): Promise<unknown>;
  /** Drops the reservation for `ticketId` if it has no response yet, so the key is free again. */
  release(caller: string, key: string, ticketId: string): Promise<void>;
  /** The live record for (caller, key), if any. */
  find(caller: string, key: string, now: Date): Promise<IdempotencyRecord | null>;
}

export interface CursorCodec {
  encode(payload: Record<string, unknown>): string;
  /** Throws ValidationError (field `cursor`) for anything it did not sign. */
  decode(cursor: string): Record<string, unknown>;
}

export interface Secrets {
  /** An unguessable token for an emailed link: 256 random bits, base64url. */
  linkToken(): string;
}

/**
 * How a ticket's execution stands. `absent`: none carries the ticket's name (never started, or
 * closed so long ago that Step Functions no longer keeps it). An ended one carries the error and
 * cause it ended with, when it has them (an execution stopped without either has none).
 */
export type ExecutionState =
  | { status: 'absent' }
  | { status: 'RUNNING' }
  | {
      status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
      error: string | null;
      cause: string | null;
    };

/** The orchestration: Step Functions in AWS, the local runner on one machine. */
export interface Workflow {
  /**
   * Starts the ticket's execution, named after the ticket: `started` also when it is already
   * running; `exists` when an execution of that name exists but has ended, which status() tells.
   */
  start(ticketId: string): Promise<'started' | 'exists'>;
  status(ticketId: string): Promise<ExecutionState>;
  /** Resumes a waiting task; `gone` when the task no longer waits (already resumed, timed out, stopped). */
  signal(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'gone'>;
  /**
   * Stops the ticket's execution, ABORTED with `error` and `cause` in its history; its waiting task
   * tokens stop working. Stopping one that has ended changes nothing; `absent` when none carries
   * the ticket's name.
   */
  stop(ticketId: string, reason: { error: string; cause: string }): Promise<'stopped' | 'absent'>;
}

/** A file sent with an email; one with a `cid` is an inline part the HTML shows as `cid:{cid}`. */
export interface EmailAttachment {
  filename: string;
  contentType: string;
  cid?: string;
  content: Uint8Array;
}

export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
  attachments?: EmailAttachment[];
}

export interface Mailer {
  send(message: EmailMessage): Promise<{ messageId: string }>;
}

/** Draws a chart (domain/analytics/charts.ts) as a PNG of the size it is shown at, in CSS pixels. */
export interface ChartImages {
  png(chart: Chart, size: { width: number; height: number }): Promise<Uint8Array>;
}

/** A task's kind is the wait it belongs to; an emailed link's purpose is its task's kind. */
export type TaskKind = WaitKind;

/** A person-facing wait of the workflow: derived from the ticket, holding the task token it resumes. */
export interface TaskRecord {
  id: string;
  ticketId: string;
  kind: TaskKind;
  stageIndex: number | null;
  token: string;
  assignees: string[];
  deadline: string;
  createdAt: string;
  /** Set once every assignee was emailed, so a retried step does not email them twice. */
  notifiedAt: string | null;
  /**
   * The phase of the wait (asked, reminded, escalated) those emails went out for: a later phase
   * emails again, with new links. Absent on tasks written before reminders: `asked`.
   */
  phase?: WaitPhase;
}

export interface TaskStore {
  /** Writes the task; a repeat with the same id replaces it. */
  put(task: TaskRecord): Promise<void>;
  get(id: string): Promise<TaskRecord | undefined>;
  /** The tasks of this kind that an identity was sent a link for and that have not retired. */
  forAssignee(identityId: string, kind: TaskKind): Promise<TaskRecord[]>;
  /** Takes the task off its assignees' inboxes once the wait is over, so inboxes stay short. */
  retire(task: TaskRecord): Promise<void>;
  /**
   * Adds people to a stored task's assignees (whose inbox entries its retirement takes out), and
   * nothing else of it; a task not stored yet is left to the step that stores it.
   */
  addAssignees(taskId: string, identityIds: string[]): Promise<void>;
}

/**
 * What an emailed link acts on: a task of a wait, the offer to extend a grant (`extend`), or the
 * survey of a resolved request (`feedback`).
 */
export type LinkPurpose = TaskKind | 'extend' | 'feedback';

export interface LinkRecord {
  /** SHA-256 of the token: the token itself is only ever in the recipient's email. */
  hash: string;
  purpose: LinkPurpose;
  ticketId: string;
  /** The task it acts on; for `extend`, the grant's id; for `feedback`, the ticket's. */
  taskId: string;
  identity: string;
  expiresAt: string;
  usedAt: string | null;
  createdAt: string;
}

export interface LinkStore {
  /** Stores the link, which also lists its task (if it has one) in the recipient's inbox until the task retires. */
  put(link: LinkRecord): Promise<void>;
  get(hash: string): Promise<LinkRecord | undefined>;
  /** Spends the link, once: throws ConflictError when it was already used. */
  markUsed(hash: string, at: string): Promise<void>;
  /** Gives a spent link back, when the action it was spent on did not happen. */
  release(hash: string, usedAt: string): Promise<void>;
}

/** Whose grants a list reads: a holder's (on one system, when given), or a system's. */
export type GrantFilter = { holder: string; system?: string } | { holder?: undefined; system: string };

export interface GrantStore {
  /**
   * Writes the grant as derived from its ticket, unless the stored one has as many events or more:
   * a repeated or late step never puts back a grant as it was before it moved on.
   */
  put(grant: Grant): Promise<void>;
  get(id: string): Promise<Grant | undefined>;
  /** The entitlement ids of the grants an identity holds (until their revocation is confirmed). */
  entitlementsHeldBy(holder: string): Promise<string[]>;
  /** A holder's grants of one entitlement on one system that are active (not being revoked, not ended). */
  activeGrantsOf(holder: string, system: string, entitlement: string): Promise<Grant[]>;
  /** When the holder's last grant of an entitlement ended, at or before `before` (ISO); null if none had. One item read. */
  lastEndedBefore(
    holder: string,
    system: string,
    entitlement: string,
    before: string,
  ): Promise<string | null>;
  /**
   * A system's standing grants (no `until`) that are active: only those are read. With
   * `filedBefore`, only those whose ticket was filed before it (a grant's id is `G` and its
   * ticket's ULID, which sorts by filing time), which takes in every grant that began before it.
   */
  activeStandingGrants(system: string, filedBefore?: Date): Promise<Grant[]>;
  /** Grants whose revocation is due by `now` and not yet begun, oldest due first: only those are read. */
  dueForRevocation(now: Date, limit: number): Promise<Grant[]>;
  /** Grants whose holder is due to be told of their end by `now`, soonest first: only those are read. */
  noticesDue(now: Date, limit: number): Promise<Grant[]>;
  /** One page of grants, newest first, after the grant id `after`; `last` when another page follows. */
  list(
    filter: GrantFilter,
    page: { after?: string; limit: number },
  ): Promise<{ items: Grant[]; last: string | null }>;
}

/** What a grant's schedule starts when it fires: an execution of this state machine, by this name, with this input. */
export interface RevocationTarget {
  stateMachineArn: string;
  executionName: string;
  input: Record<string, unknown>;
}

/** Starts revocation executions (early revocation, departures, cancellations, the sweep). */
export interface Revocations {
  /** The state machine a grant's schedule targets. */
  readonly stateMachineArn: string;
  /** Starts the named execution; `exists` when it was started before (running or ended). */
  start(executionName: string, input: RevocationInput): Promise<'started' | 'exists'>;
}

/**
 * A time-bound grant's end, as a one-time schedule named after the grant that fires once at `at`
 * (in AWS up to a minute late) and starts an execution named after the grant, then deletes itself.
 */
export interface GrantSchedules {
  /** Creates the grant's schedule; `exists` when it was created before (and is left as it is). */
  schedule(grantId: string, at: Date, target: RevocationTarget): Promise<'created' | 'exists'>;
  /** Replaces the grant's schedule (its time and target); `absent` when there is none (fired, or cancelled). */
  reschedule(grantId: string, at: Date, target: RevocationTarget): Promise<'updated' | 'absent'>;
  /** Deletes the grant's schedule; `absent` when there is none. */
  cancel(grantId: string): Promise<'cancelled' | 'absent'>;
}

/** A policy set compiled for this process: the questions it answers cost no parsing. */
export interface PolicyEvaluator {
  readonly version: string;
  readonly policies: Policies;
  /** Every question policy answers about one request, as `decideOutcome` asks them. */
  answers(inputs: PolicyInputs): AskPolicies;
}

/** The live policy set; a new version is picked up within seconds of being published. */
export interface PolicyEngine {
  live(): Promise<PolicyEvaluator>;
  /** The set from the project's `policies/` folder: live until another is published. */
  readonly baseline: PolicyEvaluator & { policies: Policies };
  /** Checks a candidate set against the schema; throws a ValidationError naming each problem. */
  compile(policies: Policies): PolicyEvaluator;
  /** Makes the next live() read the pointer again (after this process published a version). */
  forget(): void;
}

export interface PolicyVersion {
  version: string;
  policies: Policies;
  /** When and by whom it was first stored; the baseline from `policies/` has neither. */
  createdAt: string | null;
  createdBy: string | null;
}

export interface PolicyChange {
  at: string;
  by: string;
  from: string;
  to: string;
}

/** Policy sets by version (content-addressed, kept for ever) and the pointer to the live one. */
export interface PolicyStore {
  /** The version published last, or undefined while the baseline from `policies/` is live. */
  liveVersion(): Promise<string | undefined>;
  get(version: string): Promise<PolicyVersion | undefined>;
  /**
   * Stores the version and makes it live, with the audit event of the change, only if `change.from`
   * is still live; throws ConflictError otherwise. Storing a version again is harmless.
   */
  publish(version: PolicyVersion, change: PolicyChange, baselineVersion: string): Promise<void>;
  /**
   * Stores a version without making it live (a simulation's candidate). Content-addressed: a
   * version stored before keeps who stored it first.
   */
  store(version: PolicyVersion): Promise<void>;
}

/** Every input a policy decision saw, kept by its hash so history never changes under it. */
export interface PolicySnapshot {
  hash: string;
  inputs: PolicyInputs;
  /** The policy set version that decided on these inputs first, and when. */
  version: string;
  at: string;
}

export interface SnapshotStore {
  /** Idempotent: a snapshot is content-addressed, so the same inputs write the same item. */
  put(snapshot: PolicySnapshot): Promise<void>;
  get(hash: string): Promise<PolicySnapshot | undefined>;
  /** The snapshots of these hashes that are stored, by hash. */
  getMany(hashes: readonly string[]): Promise<Map<string, PolicySnapshot>>;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/**
 * Long work (policy simulations, audit exports) run as a state machine execution named after
 * the job, one bounded step per task invocation. The job item is the authority: each step reads its
 * cursor and writes the next one with its results in one conditional write on `steps`, so a retried
 * or repeated step applies its work once.
 */
export interface Job<Params = unknown, Cursor = unknown, Result = unknown> {
  id: string;
  kind: 'policy_simulation' | 'audit_export';
  status: JobStatus;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  params: Params;
  /** How many items are done, of how many (null while unknown). */
  progress: { done: number; total: number | null };
  /** Steps applied so far: the condition of each step's write. */
  steps: number;
  /** Where the next step starts; null before the first one and once the job is done. */
  cursor: Cursor | null;
  /** The work so far; final once the job is done. */
  result: Result | null;
  /** Why it failed: the error's name and message. */
  error: { name: string; message: string } | null;
}

export interface JobStore {
  /** Writes a new job; a job with this id is never overwritten. */
  create(job: Job): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Writes one step's work (status, progress, cursor, result) if no step was applied since the job
   * was read at `readSteps`; answers false, writing nothing, when one was.
   */
  advance(
    id: string,
    readSteps: number,
    step: Pick<Job, 'status' | 'progress' | 'cursor' | 'result' | 'updatedAt'>,
  ): Promise<boolean>;
  /** Marks the job failed unless it is done already; answers whether it did. */
  fail(id: string, error: { name: string; message: string }, at: string): Promise<boolean>;
}

/** Starts the execution that runs a job: starting one that was started already is harmless. */
export interface JobRunner {
  start(jobId: string): Promise<void>;
}

/** A period of submission: tickets whose ids (ULIDs) were made from `from` up to `to`. */
export interface Period {
  from: Date;
  to: Date;
}

/** Where a reading of history stands: which partition, and the last ticket read in it. */
export interface HistoryCursor {
  partition: number;
  after: string | null;
}

/** A ticket as history pages list it: the status it is listed under, and the ticket as it is now. */
export interface HistoryEntry {
  id: string;
  listedAs: Status;
  /** Undefined when the ticket item is gone. */
  ticket:
    | Pick<Ticket, 'id' | 'type' | 'status' | 'decision' | 'approvals' | 'duration' | 'createdAt'>
    | undefined;
}

/** A page of history: its entries, and the cursor of the rest (null: none left). */
export interface HistoryPage<T = HistoryEntry['ticket']> {
  entries: (Omit<HistoryEntry, 'ticket'> & { ticket: T })[];
  next: HistoryCursor | null;
}

/** Tickets submitted in a period, read a bounded page at a time, never all at once. */
export interface TicketHistory {
  /** How many tickets were submitted in the period, or null if counting them would take too long. */
  count(period: Period): Promise<number | null>;
  /** Up to `limit` tickets from `cursor` (null: the start), without their timelines. */
  page(period: Period, cursor: HistoryCursor | null, limit: number): Promise<HistoryPage>;
  /** The same page with each ticket whole, timeline included: what an export writes. */
  wholePage(
    period: Period,
    cursor: HistoryCursor | null,
    limit: number,
  ): Promise<HistoryPage<Ticket | undefined>>;
}

/**
 * Export files (S3): written whole, or in parts of at least 5 MiB but the last (a multipart
 * upload, whose id and part ETags the job carries from step to step), and read through a
 * short-lived presigned URL.
 */
export interface ExportFiles {
  /** Writes the whole file in one request. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** Starts a multipart upload; answers its id. */
  begin(key: string): Promise<string>;
  /** Writes part `number` (from 1; writing one again replaces it); answers its ETag. */
  part(key: string, uploadId: string, number: number, body: Uint8Array): Promise<string>;
  /** Joins the parts into the file; done already (a retried step) is done. */
  complete(key: string, uploadId: string, parts: readonly { number: number; etag: string }[]): Promise<void>;
  /** A URL that downloads the file as `filename` for `seconds`. */
  link(key: string, filename: string, seconds: number): Promise<string>;
}

/** Local-only fault injection: named points where the process crashes or the step fails, for the fault tests. */
export interface Faults {
  faultPoint(name: string): void;
}

/** Something security should see: an attempt refused by authorization or separation of duties. */
export interface SecurityEvent {
  type: 'decision_refused' | 'fulfilment_refused' | 'revocation_refused' | 'reassignment_refused';
  at: string;
  actor: string;
  ticketId: string | null;
  taskId: string;
  /** 403 when the actor could see the ticket, 404 when it does not exist for them. */
  answered: 403 | 404;
  reason: string;
}

export interface SecurityEvents {
  /** Kept by day, so security can count and read them; never fails the refusal it records. */
  record(event: SecurityEvent): Promise<void>;
}

/** Delegations, given and received; a deleted one is kept, marked. */
export interface DelegationStore {
  /**
   * Stores the delegation unless one with its id is stored already; answers the stored one, and
   * whether this call stored it.
   */
  create(delegation: Delegation): Promise<{ delegation: Delegation; created: boolean }>;
  get(id: string): Promise<Delegation | undefined>;
  /** Marks it deleted, once: a second deletion keeps the first one's time and author. Answers it as stored. */
  markDeleted(id: string, at: string, by: string): Promise<Delegation>;
  /** Every delegation an owner gave that ends after `at`, deleted ones included. */
  givenEndingAfter(owner: string, at: Date): Promise<Delegation[]>;
  /**
   * The delegations one person gave or received, the latest-ending first, one page after the
   * position `after` (the `last` of the page before); `last` is null when no more follow.
   */
  list(
    identity: string,
    page: { after?: string; limit: number },
  ): Promise<{ items: Delegation[]; last: string | null }>;
}

/** Signs audit checkpoints with ECDSA P-256: a KMS key in AWS, a key file under .tollgate/ locally. */
export interface AuditSigner {
  /** The key's id as checkpoints name it: its ARN, or `local:{sha256 of the public key}`. */
  keyId(): Promise<string>;
  /** A DER-encoded ECDSA signature over SHA-256 of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Signed checkpoints, kept outside the table: S3 (with Object Lock in AWS), a local S3 endpoint or folder. */
export interface CheckpointStore {
  latest(): Promise<SignedCheckpoint | undefined>;
  /** Writes a checkpoint; one with the same seq is never overwritten (answers false, writing nothing). */
  put(signed: SignedCheckpoint): Promise<boolean>;
  /**
   * Every checkpoint, oldest first, each a part at a time as it is read (fields, heads in batches,
   * signature): the first names every chain there is, so none is held whole.
   */
  all(): AsyncIterable<CheckpointPart>;
}

/**
 * Each chain's latest checkpointed head, as a verification gathers them from the checkpoints and
 * then takes them chain by chain as it reads the table: one per chain that was ever checkpointed,
 * which `npm run audit:verify` keeps on disk rather than in its memory (adapters/audit/anchored-heads.ts).
 */
export interface AnchoredHeads {
  /** Heads of the checkpoint being read, a batch at a time: they count only once settled. */
  stage(heads: readonly ChainHead[]): Promise<void>;
  /** The staged heads replace their chains' earlier ones (the checkpoint's signature holds), or are dropped. */
  settle(keep: boolean): Promise<void>;
  /** Each chain's head (undefined: never checkpointed), taken: a chain asked for again has none. */
  take(chains: readonly string[]): Promise<(ChainHead | undefined)[]>;
  /** The heads no chain took, a batch at a time, in the order their chains were first checkpointed. */
  untaken(): AsyncIterable<ChainHead[]>;
  /** Lets go of what it kept (a temporary file). */
  close(): Promise<void>;
}

/** A chain's head as the table holds it, with when its last event happened. */
export interface ChangedChain {
  head: ChainHead;
  lastEventAt: string;
}

/** The heads of the hash chains in the table, as the audit checkpoint reads them. */
export interface ChainHeads {
  /**
   * Every chain (tickets, grants, admin records) changed from `from`'s hour up to `until` (null:
   * every chain there is), a superset by under an hour, read a page at a time.
   */
  changedSince(from: string | null, until: Date): AsyncIterable<ChangedChain>;
}

/** A hash chain as the table holds it: a ticket's timeline, a grant's events or an admin record's history. */
export interface StoredChain {
  /** `ticket:{id}`, `grant:{id}` or `admin:{record}` (domain/audit/checkpoint.ts). */
  chain: string;
  events: TimelineEvent<string>[];
}

/**
 * Every chain, read straight from the table a page at a time: what an independent verification
 * reads, so never through the system's API, and never the whole table in memory.
 */
export interface TrailReader {
  /** Pages of chains; `read`: how many items the page went through (for progress). */
  pages(): AsyncIterable<{ chains: StoredChain[]; read: number }>;
  /** About how many items a whole reading goes through (DynamoDB's count is hours old), or undefined. */
  approximateItems(): Promise<number | undefined>;
}

/** The public key checkpoints are verified with (PEM, SPKI): from KMS in AWS, the key file locally. */
export interface AuditPublicKey {
  pem(): Promise<string>;
}

/** The results of the scheduled verification: the latest, and a copy of each by when it ran. */
export interface VerificationResults {
  put(report: VerificationReport): Promise<void>;
  latest(): Promise<VerificationReport | undefined>;
}

/** Tickets of one day through the index partition of that day (table.ts), whole, a page at a time: never a Scan. */
export interface AnalyticsSource {
  /** Tickets resolved that day (gsi5 RESOLVED#{day}). */
  resolvedOn(day: string): AsyncIterable<Ticket[]>;
  /** Tickets whose feedback was given that day (gsi5 FEEDBACK#{day}). */
  feedbackOn(day: string): AsyncIterable<Ticket[]>;
}

/** A report the weekly schedule computed, stored as it was sent. */
export interface StoredReport {
  id: string;
  report: AnalyticsReport;
  sentTo: string[];
}

export interface AnalyticsStore {
  /** One item per day: writing a day again replaces it. */
  putRollup(rollup: DayRollup): Promise<void>;
  /** The stored rollups of the days from `from` to `to` (yyyy-mm-dd, both included), oldest first. */
  rollups(from: string, to: string): AsyncIterable<DayRollup>;
  /** Which of the days from `from` to `to` have a stored rollup (their keys only). */
  rolledUpDays(from: string, to: string): Promise<Set<string>>;
  putReport(stored: StoredReport): Promise<void>;
  /** Stored reports, newest first, before the report id `before`; `last` when another page follows. */
  reports(page: { before?: string; limit: number }): Promise<{ items: StoredReport[]; last: string | null }>;
}

/** Sends a computed report to its recipients: plain text first; a renderer with charts may take its place. */
export interface ReportMailer {
  sendWeeklyReport(report: AnalyticsReport, recipients: readonly string[]): Promise<void>;
}

/** The `whsec_` secrets of each integration (Secrets Manager in AWS, its local endpoint in `npm start`). */
export interface WebhookSecrets {
  /**
   * The integration's secrets, cached per process; `fresh` reads them again (a secret just added
   * by rotation), at most every few seconds per integration, so bad signatures cannot flood the store.
   */
  secretsOf(secretId: string, options?: { fresh?: boolean }): Promise<string[]>;
}

/** What a provisioning webhook asks of a system's integration; no secret, link or task token. */
export interface ProvisioningData {
  /** The delivery the integration answers with `fulfilment.*`. */
  delivery: string;
  ticket: string;
  grant: string;
  holder: string;
  system: string;
  entitlement: string;
  until: string | null;
}

/** Signed outbound webhooks (Standard Webhooks) to an integration. */
export interface WebhookSender {
  /** Answers whether the target took it (a 2xx), after a few quick attempts; never throws for the target's failure. */
  send(
    target: { integration: string; url: string },
    event: { id: string; type: 'grant.requested' | 'revoke.requested'; data: ProvisioningData },
  ): Promise<boolean>;
}

/**
 * The deliveries of outbound events (webhooks out), one item per event and subscriber. Every
 * change is one conditional write on the revision it was read at, so of two dispatchers exactly
 * one takes an attempt, and a repeat of a creation writes nothing.
 */
export interface DeliveryStore {
  get(id: string): Promise<Delivery | undefined>;
  /** Which of these deliveries exist already, by id. */
  existing(ids: string[]): Promise<Set<string>>;
  /** Writes the delivery unless one with its id exists: false when one does. */
  create(delivery: Delivery): Promise<boolean>;
  /** Writes `next` over `read` if it is still at `read`'s revision: false when another write came first. */
  replace(read: Delivery, next: Delivery): Promise<boolean>;
  /** Pending deliveries whose next attempt is due by `now`, the longest due first, as they are now. */
  due(now: Date, limit: number): Promise<Delivery[]>;
  /** One status's deliveries, newest first, after the cursor position `after`. */
  list(
    status: DeliveryStatus,
    page: { after?: string; limit: number },
  ): Promise<{ items: Delivery[]; last: string | null }>;
  /** The hour (`yyyy-mm-ddThh`) the sweep for deliveries never derived reads next; null before its first run. */
  sweepHour(): Promise<string | null>;
  /** Moves the sweep on to `next`, if nobody moved it from `read` meanwhile. */
  moveSweepHour(read: string | null, next: string): Promise<void>;
  /** The tickets whose last change was in `hour` (gsi6), with their outboxes. */
  outboxesChangedIn(hour: string): Promise<{ id: string; outbox: OutboundEvent[] }[]>;
}

/** Posts one signed attempt of an event to a subscriber; never throws for the subscriber's failure. */
export interface DeliverySender {
  send(subscriber: Subscriber, delivery: { id: string; event: OutboundEvent }): Promise<AttemptResult>;
}

/** What the dispatcher is asked to do at once, besides its schedule. */
export type DispatchRequest = { ticket: string; events: string[] } | { deliveries: string[] };

/**
 * Hands work to the dispatcher at once (Lambda's asynchronous invoke in AWS, the local Lambda
 * endpoint locally), without waiting for it: a request lost here is found by the dispatcher's
 * schedule.
 */
export interface DispatchTrigger {
  dispatch(request: DispatchRequest): Promise<void>;
}
