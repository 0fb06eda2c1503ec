import type { Identity } from '../domain/directory';
import { ValidationError } from '../domain/errors';
import { assertMayReassign, reassignStage } from '../domain/reassignment';
import { approverExclusion } from '../domain/separation-of-duties';
import type { Ticket } from '../domain/ticket';
import { type DecisionDeps, reportingRefusals, visibleTask } from './decisions';
import { stageRules } from './delegations';
import { reassignedAwayEmail } from './emails';
import { wordsFor } from './explanations';
import type { Directory, LinkStore, Mailer, Secrets, TaskRecord } from './ports';
import { updateTicket } from './ticket-updates';
import { emailLinks } from './workflow-steps';

export interface ReassignDeps
  extends Pick<DecisionDeps, 'clock' | 'tickets' | 'tasks' | 'securityEvents' | 'log'> {
  directory: Directory;
  links: LinkStore;
  mailer: Mailer;
  secrets: Secrets;
  settings: { publicBaseUrl: string };
}

export interface Reassignment {
  caller: Identity;
  /** The inbox item: the stage's task. */
  taskId: string;
  to: string;
  reason: string;
}

/**
 * Primary course: hand a pending stage to one eligible person in one conditional write on the
 * ticket (so of two reassignments exactly one lands), then give them a link and an inbox entry of
 * their own and tell whoever was asked before. A refusal (403, 404) is kept for security like a
 * refused decision.
 */
export async function reassignApproval(deps: ReassignDeps, input: Reassignment): Promise<Ticket> {
  return reportingRefusals(deps, 'reassignment_refused', input, () => reassign(deps, input));
}

async function reassign(deps: ReassignDeps, input: Reassignment): Promise<Ticket> {
  const task = await visibleTask(deps, input.caller, input.taskId, 'approval');
  const stageIndex = task.stageIndex ?? 0;
  const now = deps.clock.now();
  const person = await deps.directory.identity(input.to);
  let before: Ticket | undefined;
  const ticket = await updateTicket(deps.tickets, task.ticketId, async (current) => {
    assertMayReassign(current, stageIndex, input.caller, now);
    const excluded = approverExclusion(
      input.to,
      person,
      await stageRules(deps.directory, current, stageIndex),
    );
    if (excluded) throw new ValidationError('This person may not approve this stage', { to: excluded });
    before = current;
    return reassignStage(current, stageIndex, {
      to: input.to,
      reason: input.reason,
      by: input.caller.id,
      at: now.toISOString(),
    });
  });
  if (before && ticket !== before) await handOver(deps, ticket, task, before, input);
  return ticket;
}

/**
 * What derives from the committed reassignment, after it, like every item derived from a ticket:
 * the new approver sees the ticket, has the stage in their inbox and an emailed link of their own;
 * the people asked before lose it from their inboxes (their links answer that it was reassigned)
 * and are told, except the caller, who has the answer. A crash in between loses these emails
 * rather than sending them twice; the timeline has the event.
 */
async function handOver(
  deps: ReassignDeps,
  ticket: Ticket,
  task: TaskRecord,
  before: Ticket,
  input: Reassignment,
): Promise<void> {
  const stageIndex = task.stageIndex ?? 0;
  const stage = ticket.approvals[stageIndex];
  const replaced = (before.approvals[stageIndex]?.candidates ?? []).filter((id) => id !== input.to);
  const deadline = stage?.deadline ?? task.deadline;
  await deps.tickets.addViewers(ticket.id, [input.to]);
  await deps.tasks.retire({ ...task, assignees: replaced });
  await deps.tasks.addAssignees(task.id, [input.to]);
  const words = await wordsFor(deps, ticket, [input.caller.id]);
  await emailLinks(deps, {
    ticket,
    words,
    task: { ...task, deadline },
    people: [input.to],
    phase: 'asked',
    handedOver: `${words.person(input.caller.id)} reassigned this approval to you: ${input.reason}`,
  });
  for (const id of replaced.filter((candidate) => candidate !== input.caller.id)) {
    await deps.mailer.send(
      reassignedAwayEmail({
        ticket,
        words,
        to: id,
        handedOver: { by: input.caller.id, to: input.to, reason: input.reason },
      }),
    );
  }
}
