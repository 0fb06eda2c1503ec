import type { Identity, System } from '../domain/directory';
import { ConflictError, ExpiredError, ForbiddenError, NotFoundError } from '../domain/errors';
import type { ExtensionBody } from '../domain/extension';
import type { FeedbackBody } from '../domain/feedback';
import type { Grant } from '../domain/grants';
import type { Ticket } from '../domain/ticket';
import type { TicketWords } from '../domain/wording';
import { assertAsked, assertNotCancelled, nextStepFor, openStageIndex } from '../domain/workflow';
import { confirmRevocation, type DecisionDeps, decideApproval, reportFulfilment } from './decisions';
import { approvalExplanation, wordsFor } from './explanations';
import { giveFeedback } from './feedback';
import type { Directory, GrantStore, LinkRecord, LinkStore, TaskRecord } from './ports';
import { hashLinkToken } from './workflow-steps';

export interface LinkDeps extends DecisionDeps {
  links: LinkStore;
  directory: Directory;
  grants: GrantStore;
}

export type LinkView = TaskLinkView | ExtensionLinkView | FeedbackLinkView;

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** An expiry notice's link: the grant it offers to extend. */
export interface ExtensionLinkView {
  kind: 'extend';
  link: LinkRecord;
  ticket: Ticket;
  grant: Grant;
  system: System | undefined;
  recipient: Identity;
  words: TicketWords;
}

/** A survey's link: the resolved ticket its requester is asked to rate. */
export interface FeedbackLinkView {
  kind: 'feedback';
  link: LinkRecord;
  ticket: Ticket;
  system: System | undefined;
  recipient: Identity;
}

export interface TaskLinkView {
  kind: 'task';
  link: LinkRecord;
  ticket: Ticket;
  task: TaskRecord;
  system: System | undefined;
  recipient: Identity;
  /** For an approval: why this person is asked, and which rules asked for the stage. */
  why: string | null;
  words: TicketWords;
}

/**
 * Primary course: what the page behind an emailed link shows. Reading a link changes nothing, so
 * mail scanners that prefetch it cannot decide anything. Expiry is checked first (410), then use (409),
 * then the ticket: cancelled, no longer waiting for this link, or no longer asking this person (409).
 */
export async function viewLink(deps: LinkDeps, token: string): Promise<LinkView> {
  // Every token minted is 32 random bytes in base64url: anything else is not looked up.
  const link = LINK_TOKEN.test(token) ? await deps.links.get(hashLinkToken(token)) : undefined;
  if (!link) throw new NotFoundError('This link is not known. It may have been mistyped.');
  if (Date.parse(link.expiresAt) <= deps.clock.now().getTime()) {
    throw new ExpiredError(`This link expired at ${link.expiresAt}.`);
  }
  if (link.purpose === 'extend') return viewExtensionLink(deps, link);
  if (link.purpose === 'feedback') return viewFeedbackLink(deps, link);
  const [ticket, task, recipient] = await Promise.all([
    deps.tickets.get(link.ticketId),
    deps.tasks.get(link.taskId),
    deps.directory.identity(link.identity),
  ]);
  if (!ticket || !task || !recipient) throw new NotFoundError('This link no longer points at a ticket.');
  if (link.usedAt) throw new ConflictError(`This link was already used at ${link.usedAt}.`);
  // A cancelled request's provisioned access is revoked all the same.
  if (link.purpose !== 'revoke') assertNotCancelled(ticket);
  if (!stillWaiting(ticket, task))
    throw new ConflictError('This ticket is no longer waiting for this decision.');
  if (link.purpose === 'approval') assertAsked(ticket.approvals[task.stageIndex ?? 0], link.identity);
  if (recipient.status !== 'active')
    throw new ForbiddenError(`The account of ${recipient.id} is ${recipient.status}.`);
  const words = await wordsFor(deps, ticket);
  const { system } = words;
  const why =
    link.purpose === 'approval'
      ? await approvalExplanation(deps.directory, ticket, task.stageIndex ?? 0, system, recipient.id)
      : null;
  return { kind: 'task', link, ticket, task, system, recipient, why, words };
}

async function viewExtensionLink(deps: LinkDeps, link: LinkRecord): Promise<ExtensionLinkView> {
  const [ticket, grant, recipient] = await Promise.all([
    deps.tickets.get(link.ticketId),
    deps.grants.get(link.taskId),
    deps.directory.identity(link.identity),
  ]);
  if (!ticket || !grant || !recipient) throw new NotFoundError('This link no longer points at a grant.');
  if (link.usedAt) throw new ConflictError(`This link was already used at ${link.usedAt}.`);
  if (grant.status !== 'active')
    throw new ConflictError(`This grant is ${grant.status}: it cannot be extended.`);
  if (recipient.status !== 'active')
    throw new ForbiddenError(`The account of ${recipient.id} is ${recipient.status}.`);
  const words = await wordsFor(deps, ticket, [grant.holder]);
  return { kind: 'extend', link, ticket, grant, system: words.system, recipient, words };
}

async function viewFeedbackLink(deps: LinkDeps, link: LinkRecord): Promise<FeedbackLinkView> {
  const [ticket, recipient] = await Promise.all([
    deps.tickets.get(link.ticketId),
    deps.directory.identity(link.identity),
  ]);
  if (!ticket || !recipient) throw new NotFoundError('This link no longer points at a ticket.');
  if (link.usedAt) throw new ConflictError(`This link was already used at ${link.usedAt}.`);
  if (ticket.feedback)
    throw new ConflictError(`Feedback on this request was already given, at ${ticket.feedback.at}.`);
  if (recipient.status !== 'active')
    throw new ForbiddenError(`The account of ${recipient.id} is ${recipient.status}.`);
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  return { kind: 'feedback', link, ticket, system, recipient };
}

export type LinkAction =
  | { decision: 'approve' | 'deny'; comment: string | null }
  | { result: 'done' | 'failed'; note: string | null }
  | { confirm: 'revoked'; comment: string | null }
  | { extend: ExtensionBody }
  | { feedback: FeedbackBody };

/** The action each purpose of link takes, by the field that names it. */
const actionField = {
  approval: 'decision',
  fulfilment: 'result',
  revoke: 'confirm',
  extend: 'extend',
  feedback: 'feedback',
} as const;

/** Files an extension as the link's recipient (the intake use case, with its policy deps). */
export type FileExtension = (caller: Identity, grantId: string, body: ExtensionBody) => Promise<Ticket>;

/**
 * Primary course: spend the link that `viewLink` just checked (a conditional write, so of two uses
 * exactly one goes on), then act once as its recipient. If the action does not happen, the link is
 * given back. The decision's own conditional write re-checks the ticket, so a race still loses.
 */
export async function actOnLink(
  deps: LinkDeps,
  view: LinkView,
  action: LinkAction,
  fileExtension: FileExtension,
): Promise<Ticket> {
  const { link, recipient } = view;
  const kindMatches = actionField[link.purpose] in action;
  if (!kindMatches) throw new ConflictError(`This link is for ${link.purpose}, not for that action.`);
  const usedAt = deps.clock.now().toISOString();
  await deps.links.markUsed(link.hash, usedAt);
  try {
    if ('extend' in action) return await fileExtension(recipient, link.taskId, action.extend);
    if ('feedback' in action) {
      return await giveFeedback(deps, {
        caller: recipient,
        ticketId: link.ticketId,
        feedback: action.feedback,
        via: 'link',
      });
    }
    if ('confirm' in action) {
      return await confirmRevocation(deps, {
        caller: recipient,
        taskId: link.taskId,
        comment: action.comment,
        via: 'link',
      });
    }
    return 'decision' in action
      ? await decideApproval(deps, {
          caller: recipient,
          taskId: link.taskId,
          decision: action.decision,
          comment: action.comment,
          via: 'link',
        })
      : await reportFulfilment(deps, {
          caller: recipient,
          taskId: link.taskId,
          result: action.result,
          note: action.note,
          via: 'link',
        });
  } catch (error) {
    await deps.links.release(link.hash, usedAt);
    throw error;
  }
}

function stillWaiting(ticket: Ticket, task: TaskRecord): boolean {
  if (nextStepFor(ticket) !== task.kind) return false;
  return task.kind !== 'approval' || openStageIndex(ticket) === task.stageIndex;
}
