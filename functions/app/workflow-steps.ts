import { createHash } from 'node:crypto';
import {
  checkpointDue,
  type DeadlineSettings,
  deadlinesFrom,
  type WaitDeadlines,
  type WaitPhase,
} from '../domain/deadlines';
import { isActive } from '../domain/directory';
import { ConflictError } from '../domain/errors';
import { closeAsExtended, extendGrant, extensionApplied } from '../domain/extension';
import { type Grant, grantFrom } from '../domain/grants';
import { isStageName } from '../domain/policy/outcome';
import { dueRevocation, endGrant, revocationAsked } from '../domain/revocation';
import { escalateStage, resolveStage, securityGroup } from '../domain/routing';
import { applyChange, resolution, type Ticket } from '../domain/ticket';
import type { TicketWords } from '../domain/wording';
import {
  applyApprovals,
  closeAsPolicyRefused,
  completeFulfilment,
  eligibleFulfillers,
  grantIdOf,
  grantUntil,
  nextStepFor,
  nextWakeUp,
  openFulfilment,
  openStage,
  openStageIndex,
  openWait,
  passCheckpoint,
  recordedAnswer,
  recordedOutcome,
  recordFailure,
  refuseBeforeFulfilment,
  stageToOpen,
  type WaitKind,
} from '../domain/workflow';
import { askDelegates } from './delegations';
import {
  approvalRequestEmail,
  fulfilmentOverdueEmail,
  fulfilmentRequestEmail,
  requesterNotice,
  revocationRequestEmail,
} from './emails';
import { MissingDeadlineError } from './errors';
import { approvalExplanation, wordsFor } from './explanations';
import { sendSurvey } from './feedback';
import { type PolicyDeps, refusalBeforeFulfilment } from './policy-decisions';
import type {
  Clock,
  DelegationStore,
  Directory,
  Faults,
  GrantSchedules,
  GrantStore,
  LinkPurpose,
  LinkStore,
  Mailer,
  Revocations,
  Secrets,
  TaskKind,
  TaskRecord,
  TaskStore,
  TicketStore,
  WebhookSender,
  Workflow,
} from './ports';
import { updateTicket } from './ticket-updates';

export interface WorkflowDeps {
  clock: Clock;
  tickets: TicketStore;
  directory: Directory;
  tasks: TaskStore;
  links: LinkStore;
  grants: GrantStore;
  grantSchedules: GrantSchedules;
  revocations: Revocations;
  delegations: DelegationStore;
  mailer: Mailer;
  secrets: Secrets;
  workflow: Workflow;
  faults: Faults;
  /** Provisioning requests to the integration of a system in `webhook` mode. */
  webhooks: WebhookSender;
  /**
   * Where emailed links point, the checkpoints of each wait by urgency, and the factor that
   * shortens every wait in demos and tests.
   */
  settings: { publicBaseUrl: string; timeScale: number; deadlines: DeadlineSettings };
}

/** What the state machine reads to choose its next state and how long the next wait may last. */
export interface StepResult {
  ticketId: string;
  next: WaitKind | 'done';
  stageIndex: number | null;
  timeoutSeconds: number;
}

/**
 * What the workflow just went through. `deadline`: a wait's timer ran out at one of its checkpoints
 * (`timeout` is its name in definitions older than reminders, whose executions may still run).
 */
export type Milestone = 'intake' | 'approval' | 'fulfilment' | 'revoke' | 'deadline' | 'timeout';

/**
 * Primary course: apply what the last milestone means for the ticket (open the first stage, act on
 * a decision and open the next stage, grant or close after fulfilment, close on a timeout) in one
 * conditional write, then write what derives from the committed ticket. Safe to repeat: a ticket
 * that already moved on is left as it is, and the derived items are written again.
 */
export async function advance(
  deps: WorkflowDeps & PolicyDeps,
  ticketId: string,
  after: Milestone,
): Promise<StepResult> {
  const now = deps.clock.now();
  let lastSeqBefore = 0;
  const ticket = await updateTicket(deps.tickets, ticketId, async (current) => {
    lastSeqBefore = current.timeline.at(-1)?.seq ?? 0;
    // A checkpoint applies what was recorded before it instead of reminding or closing over it.
    const deadline = after === 'deadline' || after === 'timeout';
    const milestone = deadline ? (recordedOutcome(current) ?? 'deadline') : after;
    switch (milestone) {
      case 'intake':
        return fromIntake(deps, current, now);
      case 'approval':
        return afterDecision(deps, current, now);
      case 'fulfilment':
        return completeFulfilment(current, now, deps.settings.timeScale);
      case 'revoke':
        return endGrant(current, now.toISOString());
      case 'deadline':
        return passCheckpoint(current, now, await escalationTargets(deps, current, now));
    }
  });
  // The requester first: a crash while writing the derived items repeats the step, which then
  // finds nothing new to tell.
  await tellRequester(deps, ticket, lastSeqBefore);
  await writeDerivedItems(deps, ticket, after);
  return stepResult(deps, ticket, now);
}

async function fromIntake(deps: WorkflowDeps & PolicyDeps, ticket: Ticket, now: Date): Promise<Ticket> {
  if (ticket.status !== 'submitted') return ticket;
  const at = now.toISOString();
  if (ticket.type === 'support') {
    return openFulfilment(
      applyChange(ticket, { type: 'queued', at, actor: 'tollgate', to: 'fulfilling' }),
      waitDeadlines(deps, ticket, 'support', now),
      at,
    );
  }
  switch (ticket.decision?.outcome) {
    case 'auto_approved':
      return openCheckedFulfilment(
        deps,
        applyChange(ticket, { type: 'auto_approved', at, actor: 'tollgate', to: 'fulfilling' }),
        now,
      );
    case 'auto_rejected':
      return closeAsPolicyRefused(ticket, at);
    default:
      return openStage(ticket, 0, waitDeadlines(deps, ticket, 'approval', now), at);
  }
}

/**
 * A denial closes, the last approval opens fulfilment, any other approval opens the next stage
 * with its people resolved now, passing over whoever decided an earlier stage, and with the
 * delegates in force now asked alongside them.
 */
async function afterDecision(deps: WorkflowDeps & PolicyDeps, ticket: Ticket, now: Date): Promise<Ticket> {
  const at = now.toISOString();
  const { ticket: decided, next } = applyApprovals(ticket, at);
  // Only the write that approves opens fulfilment: a repeated step finds it opened already.
  if (next === 'fulfilment' && decided !== ticket) return openCheckedFulfilment(deps, decided, now);
  const index = stageToOpen(decided);
  const stage = decided.approvals[index ?? -1];
  if (next !== 'approval' || index === null || !stage) return decided;
  const system = decided.system ? await deps.directory.system(decided.system) : undefined;
  const decidedBy = decided.approvals.flatMap((approval) => (approval.decidedBy ? [approval.decidedBy] : []));
  const assignment =
    system && isStageName(stage.stage)
      ? await resolveStage(deps.directory, stage.stage, { ...decided, system }, decidedBy)
      : null;
  const asked = assignment && {
    ...assignment,
    ...(await askDelegates(deps, decided, index, assignment.candidates, now)),
  };
  return openStage(decided, index, waitDeadlines(deps, ticket, 'approval', now), at, asked);
}

/**
 * Toxic combinations and departures are checked again right before anyone provisions access, or
 * keeps it longer: an approved extension of a grant still active provisions nothing, but a
 * conflict that arose while it waited refuses it all the same.
 */
async function openCheckedFulfilment(
  deps: WorkflowDeps & PolicyDeps,
  approved: Ticket,
  now: Date,
): Promise<Ticket> {
  const at = now.toISOString();
  const extended = approved.extends ? await deps.grants.get(approved.extends) : undefined;
  const original = extended ? await deps.tickets.get(extended.ticket) : undefined;
  // A step repeated after it moved the grant's end only closes the extension, whatever policy says now.
  const refusal =
    original && extensionApplied(original, approved.id)
      ? null
      : await refusalBeforeFulfilment(deps, approved, now);
  if (refusal) return refuseBeforeFulfilment(approved, refusal, at);
  const closed = extended ? await applyExtension(deps, approved, extended, at) : null;
  if (closed) return closed;
  return openFulfilment(approved, waitDeadlines(deps, approved, 'fulfilment', now), at);
}

/**
 * An extension approved: if the grant it extends is still active, its end moves (once per
 * extension), its schedule is replaced to fire at the new end, and the extension closes as
 * fulfilled; answers null when the grant is no longer active, and the extension is then fulfilled
 * like any request, as a grant of its own.
 */
async function applyExtension(
  deps: WorkflowDeps,
  extension: Ticket,
  grant: Grant,
  at: string,
): Promise<Ticket | null> {
  if (!extension.duration) return null;
  let extended: Ticket;
  try {
    extended = await updateTicket(deps.tickets, grant.ticket, (current) =>
      extendGrant(
        current,
        { ticketId: extension.id, duration: extension.duration ?? '', at },
        deps.settings.timeScale,
      ),
    );
  } catch (error) {
    if (error instanceof ConflictError) return null;
    throw error;
  }
  const derived = grantFrom(extended);
  if (derived) await deps.grants.put(derived);
  await scheduleGrantEnd(deps, extended, 'replace');
  return closeAsExtended(extension, extended, at);
}

/** The checkpoints of a wait that opens now, by the ticket's urgency. */
function waitDeadlines(
  deps: WorkflowDeps,
  ticket: Ticket,
  wait: keyof DeadlineSettings,
  now: Date,
): WaitDeadlines {
  return deadlinesFrom(deps.settings.deadlines[wait][ticket.urgency], now, deps.settings.timeScale);
}

/**
 * Who an escalation due now reaches: an approval stage's approvers' managers (routing's rules:
 * past anyone excluded, then the security group), a fulfilment's system owner. None for the
 * other checkpoints, and for a support ticket, whose escalation is its resolution SLA.
 */
async function escalationTargets(deps: WorkflowDeps, ticket: Ticket, now: Date): Promise<string[]> {
  const wait = openWait(ticket);
  const checkpoint = wait && checkpointDue(wait, now);
  if (wait?.kind === 'revoke' && checkpoint === 'final') {
    return securityGroup(deps.directory, new Set([ticket.beneficiary, ticket.beneficiaryOwner]));
  }
  if (!wait || checkpoint !== 'escalation' || ticket.type === 'support') return [];
  if (wait.kind !== 'approval') {
    const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
    const owner = system ? await deps.directory.identity(system.ownerId) : undefined;
    return isActive(owner) && owner.id !== ticket.beneficiary ? [owner.id] : [];
  }
  return escalateStage(deps.directory, ticket, openStageIndex(ticket) ?? 0);
}

/**
 * Items derived from the committed ticket, never ahead of it: the grant its fulfilment created, the
 * listing of everyone the ticket names, and the retirement of waits that are over.
 */
export async function writeDerivedItems(
  deps: Pick<
    WorkflowDeps,
    'clock' | 'faults' | 'grants' | 'grantSchedules' | 'revocations' | 'tickets' | 'tasks'
  >,
  ticket: Ticket,
  after: Milestone,
): Promise<void> {
  const grant = grantFrom(ticket);
  if (grant) {
    deps.faults.faultPoint('during-fulfilment');
    await deps.grants.put(grant);
  }
  if (after === 'fulfilment') {
    deps.faults.faultPoint('before-grant-schedule');
    await scheduleGrantEnd(deps, ticket, 'create');
  }
  const open = openStageIndex(ticket);
  if (after === 'intake') {
    const named = [
      ...ticket.approvals.flatMap((approval) => approval.candidates),
      ...(ticket.fulfilment?.fulfillers ?? []),
    ];
    await deps.tickets.addViewers(ticket.id, named);
  } else {
    // Those asked since intake: a later stage's people, whoever an escalation reached, and whoever
    // is asked to remove the access.
    const askedSince = [
      ...(open !== null && open > 0 ? (ticket.approvals[open]?.candidates ?? []) : []),
      ...(openWait(ticket)?.escalatedTo ?? []),
      ...(openWait(ticket)?.kind === 'revoke' && ticket.revocation ? ticket.revocation.fulfillers : []),
    ];
    if (askedSince.length > 0) await deps.tickets.addViewers(ticket.id, askedSince);
    await retireTasks(deps, ticket);
  }
}

/**
 * The schedule that starts the revocation of a time-bound grant at its `until` (the sweep starts it
 * if missed): created at fulfilment, replaced when an extension moves the end. An end already
 * passed (a step repeated late) starts the revocation at once: no schedule is made for the past.
 */
export async function scheduleGrantEnd(
  deps: Pick<WorkflowDeps, 'clock' | 'grantSchedules' | 'revocations'>,
  ticket: Ticket,
  how: 'create' | 'replace',
): Promise<void> {
  const due = dueRevocation(ticket);
  if (!ticket.grant || !due?.input.until) return;
  const at = new Date(due.input.until);
  if (at.getTime() <= deps.clock.now().getTime()) {
    await deps.revocations.start(due.name, due.input);
    return;
  }
  const target = {
    stateMachineArn: deps.revocations.stateMachineArn,
    executionName: due.name,
    input: { ...due.input },
  };
  const replaced = how === 'replace' && (await deps.grantSchedules.reschedule(ticket.grant.id, at, target));
  if (replaced !== 'updated') await deps.grantSchedules.schedule(ticket.grant.id, at, target);
}

/** What the requester hears of, by email, besides the timeline: how their request is going. */
const toldToRequester = new Set(['approved_all', 'escalated', 'granted', 'closed']);

/**
 * Emails the requester about the events this step committed, and, when one of them resolved the
 * request, the survey that asks how it went. Sent after the commit, so a crash in between loses
 * the email (the timeline still has the event) rather than sending it twice.
 */
export async function tellRequester(deps: LinkMailDeps, ticket: Ticket, afterSeq: number): Promise<void> {
  // Chasing the removal of access is the fulfillers' business; its end is the requester's.
  const events = ticket.timeline.filter(
    (event) => event.seq > afterSeq && toldToRequester.has(event.type) && event.data.wait !== 'revoke',
  );
  const resolvedNow = (resolution(ticket)?.seq ?? 0) > afterSeq;
  if (events.length === 0 && !resolvedNow) return;
  const words = await wordsFor(deps, ticket);
  for (const event of events) await deps.mailer.send(requesterNotice(ticket, words, event));
  if (resolvedNow) await sendSurvey(deps, ticket, words.system);
}

/**
 * Primary course: record the failure on the ticket, so no execution ends without the ticket knowing.
 * `recorded` is false when the ticket had already moved past where a failure could close it.
 */
export async function recordWorkflowFailure(
  deps: WorkflowDeps,
  ticketId: string,
  error: { name: string; cause: string },
): Promise<StepResult & { recorded: boolean }> {
  const now = deps.clock.now();
  let recorded = false;
  let lastSeqBefore = 0;
  const ticket = await updateTicket(deps.tickets, ticketId, (current) => {
    lastSeqBefore = current.timeline.at(-1)?.seq ?? 0;
    const failed = recordFailure(current, now.toISOString(), error);
    recorded = failed !== current;
    return failed;
  });
  await retireTasks(deps, ticket);
  await tellRequester(deps, ticket, lastSeqBefore);
  return { ...stepResult(deps, ticket, now), recorded };
}

/**
 * Primary course: store the task token, then email each assignee a link of their own, as the
 * wait's phase asks: the first request, a reminder to the same people, or the escalation to those
 * it reached (earlier links stay valid). A retry after everyone was emailed for this phase sends
 * nothing twice, and a wait that resumes in the same phase (its timer woke early) only keeps the
 * new token. A retry with a new token after the wait was already decided (or the ticket moved on)
 * stores that token too and answers it at once with what is on record, so no execution waits on
 * a token that nobody holds.
 */
export async function notifyAssignees(
  deps: WorkflowDeps,
  input: { ticketId: string; kind: TaskKind; taskToken: string; stageIndex?: number | null },
) {
  const ticket = await deps.tickets.get(input.ticketId);
  if (!ticket) throw new Error(`No ticket ${input.ticketId}`);
  const stageIndex = input.kind === 'approval' ? (input.stageIndex ?? openStageIndex(ticket)) : null;
  const id = taskId(ticket.id, input.kind, stageIndex);
  const existing = await deps.tasks.get(id);
  const answer = recordedAnswer(ticket, input.kind, stageIndex);
  if (answer) {
    await deps.tasks.put({
      ...(existing ?? newTask(deps, ticket, input, stageIndex, [])),
      token: input.taskToken,
    });
    await deps.workflow.signal(input.taskToken, answer);
    return { notified: 0 };
  }
  const phase = openWait(ticket)?.phase ?? 'asked';
  if (existing?.notifiedAt && (existing.phase ?? 'asked') === phase) {
    if (existing.token !== input.taskToken) await deps.tasks.put({ ...existing, token: input.taskToken });
    return { notified: 0 };
  }
  if (
    (input.kind === 'fulfilment' || input.kind === 'revoke') &&
    ticket.fulfilment?.mode === 'webhook' &&
    isEarly(phase)
  ) {
    return requestProvisioning(deps, ticket, { ...newTask(deps, ticket, input, null, []), phase });
  }
  const assignees =
    input.kind === 'approval'
      ? (ticket.approvals[stageIndex ?? -1]?.candidates ?? [])
      : input.kind === 'revoke'
        ? ticket.revocation
          ? revocationAsked(ticket.revocation)
          : []
        : eligibleFulfillers(ticket);
  const task = { ...newTask(deps, ticket, input, stageIndex, assignees), phase };
  await deps.tasks.put(task);
  const recipients = await emailPhase(deps, ticket, task, phase);
  await deps.tasks.put({ ...task, notifiedAt: deps.clock.now().toISOString() });
  deps.faults.faultPoint(`${input.kind}-notified`);
  return { notified: recipients };
}

/**
 * Until its escalation, a system in `webhook` mode is asked by webhook to set access up or take it
 * away; from then on its fallback fulfillers by email.
 */
const isEarly = (phase: WaitPhase) => phase === 'asked' || phase === 'reminded';

/**
 * Asks the system's integration to provision the grant (`grant.requested`) or to remove it
 * (`revoke.requested`), the task's id as the delivery it answers with `fulfilment.*`; the reminder
 * asks again. The task token stays on the task: the integration never sees it.
 */
async function requestProvisioning(deps: WorkflowDeps, ticket: Ticket, task: TaskRecord) {
  await deps.tasks.put(task);
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  if (system?.fulfilment.mode !== 'webhook' || !ticket.beneficiary || !ticket.entitlement) {
    throw new Error(`Ticket ${ticket.id} has no system provisioned by webhook`);
  }
  const sent = await deps.webhooks.send(
    { integration: system.fulfilment.integration, url: system.fulfilment.url },
    {
      id: task.id,
      type: task.kind === 'revoke' ? 'revoke.requested' : 'grant.requested',
      data: {
        delivery: task.id,
        ticket: ticket.id,
        grant: grantIdOf(ticket.id),
        holder: ticket.beneficiary,
        system: system.id,
        entitlement: ticket.entitlement,
        until:
          task.kind === 'revoke'
            ? (ticket.grant?.until ?? null)
            : grantUntil(ticket.duration, deps.clock.now(), deps.settings.timeScale),
      },
    },
  );
  await deps.tasks.put({ ...task, notifiedAt: deps.clock.now().toISOString() });
  deps.faults.faultPoint(`${task.kind}-notified`);
  return { notified: 0, provisioningSent: sent };
}

/**
 * The emails of one phase of a wait. An approval escalation asks the people it reached, with links
 * of their own; a fulfilment escalation tells the system owner, who cannot report the work unless
 * they are an eligible fulfiller too. Answers how many were emailed.
 */
async function emailPhase(
  deps: WorkflowDeps,
  ticket: Ticket,
  task: TaskRecord,
  phase: WaitPhase,
): Promise<number> {
  const wait = openWait(ticket);
  const words = await wordsFor(deps, ticket);
  // An escalation links only those it reached; an overdue revocation links everyone asked, again.
  // A revocation the integration was asked to carry out until now goes to every fallback as well.
  const handedOver = task.kind === 'revoke' && ticket.fulfilment?.mode === 'webhook';
  const linked =
    phase === 'escalated' && task.kind !== 'fulfilment' && !handedOver
      ? (wait?.escalatedTo ?? []).filter((id) => task.assignees.includes(id))
      : task.assignees;
  await emailLinks(deps, { ticket, words, task, people: linked, phase });
  const told = phase === 'escalated' && task.kind === 'fulfilment' ? (wait?.escalatedTo ?? []) : [];
  for (const owner of told) {
    await deps.mailer.send(fulfilmentOverdueEmail({ ticket, words, to: owner, deadline: task.deadline }));
  }
  return linked.length + told.length;
}

/** What emailing a task's links takes: minting each link, and the words of the email. */
export type LinkMailDeps = Pick<WorkflowDeps, 'clock' | 'directory' | 'links' | 'mailer' | 'secrets'> & {
  /** The time scale shortens revocation links; approval and fulfilment links end with their wait. */
  settings: Pick<WorkflowDeps['settings'], 'publicBaseUrl'> &
    Partial<Pick<WorkflowDeps['settings'], 'timeScale'>>;
};

/**
 * How long a revocation link stays good after it is sent: the access must go whenever someone
 * gets to it, so its deadline (past which it is overdue) does not end the link.
 */
const REVOKE_LINK_LIFETIME_MS = 30 * 24 * 3600 * 1000;

/** A link ends with its wait's final deadline, a revocation's thirty days (scaled) after it is sent. */
function linkExpiry(task: TaskRecord, now: Date, timeScale: number): string {
  if (task.kind !== 'revoke') return task.deadline;
  const sent = Math.max(now.getTime(), Date.parse(task.deadline));
  return new Date(sent + REVOKE_LINK_LIFETIME_MS * timeScale).toISOString();
}

/**
 * Emails each of `people` a link of their own to the task, in the words of the wait's phase;
 * `handedOver` says why an approval comes to them when it was first someone else's.
 */
export async function emailLinks(
  deps: LinkMailDeps,
  request: {
    ticket: Ticket;
    words: TicketWords;
    task: TaskRecord;
    people: readonly string[];
    phase: WaitPhase;
    handedOver?: string;
  },
): Promise<void> {
  const { ticket, words, task, phase } = request;
  const expiresAt = linkExpiry(task, deps.clock.now(), deps.settings.timeScale ?? 1);
  for (const assignee of request.people) {
    const url = await mintLink(deps, {
      purpose: task.kind,
      ticketId: ticket.id,
      taskId: task.id,
      identity: assignee,
      expiresAt,
    });
    const email = { ticket, words, to: assignee, url, deadline: expiresAt, phase };
    await deps.mailer.send(
      task.kind === 'approval'
        ? approvalRequestEmail({
            ...email,
            stageIndex: task.stageIndex ?? 0,
            // Per reader: a delegate is told whom they stand in for.
            why: await approvalExplanation(
              deps.directory,
              ticket,
              task.stageIndex ?? 0,
              words.system,
              assignee,
            ),
            handedOver: request.handedOver,
          })
        : task.kind === 'revoke'
          ? revocationRequestEmail({ ...email, dueBy: task.deadline })
          : fulfilmentRequestEmail(email),
    );
  }
}

function newTask(
  deps: WorkflowDeps,
  ticket: Ticket,
  input: { kind: TaskKind; taskToken: string },
  stageIndex: number | null,
  assignees: string[],
): TaskRecord {
  return {
    id: taskId(ticket.id, input.kind, stageIndex),
    ticketId: ticket.id,
    kind: input.kind,
    stageIndex,
    token: input.taskToken,
    assignees,
    deadline: waitDeadline(ticket, input.kind, stageIndex) ?? ticket.updatedAt,
    createdAt: deps.clock.now().toISOString(),
    notifiedAt: null,
  };
}

/** The final deadline of a wait: a stage's, the fulfilment's, or the revocation's. */
function waitDeadline(ticket: Ticket, kind: TaskKind, stageIndex: number | null): string | null {
  if (kind === 'revoke') return ticket.revocation?.deadline ?? null;
  return kind === 'approval'
    ? (ticket.approvals[stageIndex ?? -1]?.deadline ?? null)
    : (ticket.fulfilment?.deadline ?? null);
}

export const taskId = (ticketId: string, kind: TaskKind, stageIndex: number | null) =>
  kind === 'approval' ? `${ticketId}.approval.${stageIndex}` : `${ticketId}.${kind}`;

export const hashLinkToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Stores a link of its own for one person (its hash only) and answers the URL to email them. */
export async function mintLink(
  deps: LinkMailDeps,
  link: { purpose: LinkPurpose; ticketId: string; taskId: string; identity: string; expiresAt: string },
): Promise<string> {
  const token = deps.secrets.linkToken();
  await deps.links.put({
    ...link,
    hash: hashLinkToken(token),
    usedAt: null,
    createdAt: deps.clock.now().toISOString(),
  });
  return `${deps.settings.publicBaseUrl}/a/${token}`;
}

/** Takes the ticket's waits that are over (all of them, once it is closed) off their assignees' inboxes. */
export async function retireTasks(deps: { tasks: TaskStore }, ticket: Ticket): Promise<void> {
  const waiting = nextStepFor(ticket);
  const ids = [
    ...ticket.approvals.map((_, index) => taskId(ticket.id, 'approval', index)),
    taskId(ticket.id, 'fulfilment', null),
    ...(ticket.revocation ? [taskId(ticket.id, 'revoke', null)] : []),
  ];
  for (const id of ids) {
    const task = await deps.tasks.get(id);
    const stillWaiting =
      task &&
      task.kind === waiting &&
      (task.kind !== 'approval' || task.stageIndex === openStageIndex(ticket));
    if (task && !stillWaiting) await deps.tasks.retire(task);
  }
}

/**
 * A wait always has a deadline: a missing one is a defect to surface, never a one-second wait. Its
 * timer runs to the next checkpoint (a reminder, an escalation or the final deadline), all kept on
 * the ticket as absolute times, so a retried or resumed step never moves them.
 */
export function stepResult(deps: Pick<WorkflowDeps, 'settings'>, ticket: Ticket, now: Date): StepResult {
  const next = nextStepFor(ticket);
  const stageIndex = next === 'approval' ? openStageIndex(ticket) : null;
  if (next === 'done') return { ticketId: ticket.id, next, stageIndex, timeoutSeconds: 0 };
  if (!waitDeadline(ticket, next, stageIndex)) throw new MissingDeadlineError(ticket.id, next, stageIndex);
  // An overdue revocation has no checkpoint left: its wait goes on, woken now and then to wait again.
  const wakeUp =
    nextWakeUp(ticket) ??
    new Date(now.getTime() + REVOKE_LINK_LIFETIME_MS * deps.settings.timeScale).toISOString();
  const timeoutSeconds = Math.max(1, Math.ceil((Date.parse(wakeUp) - now.getTime()) / 1000));
  return { ticketId: ticket.id, next, stageIndex, timeoutSeconds };
}
