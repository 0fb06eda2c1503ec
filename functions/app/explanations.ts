import type { DirectoryView, Identity, System } from '../domain/directory';
import { explainApproval, type StandIn } from '../domain/policy/explain';
import type { Ticket } from '../domain/ticket';
import { peopleOf, type TicketWords, ticketWords } from '../domain/wording';
import type { Clock, Directory } from './ports';

/**
 * The names and times a message about `ticket` uses: its system from the catalog, and everyone on
 * it (and `others`, such as a comment's author) from the directory, at the clock's now.
 */
export async function wordsFor(
  deps: { directory: Pick<Directory, 'identity' | 'system'>; clock: Clock },
  ticket: Ticket,
  others: readonly string[] = [],
): Promise<TicketWords> {
  const ids = [...new Set([...peopleOf(ticket), ...others])];
  const [system, found] = await Promise.all([
    ticket.system ? deps.directory.system(ticket.system) : undefined,
    Promise.all(ids.map((id) => deps.directory.identity(id))),
  ]);
  const people = new Map(
    found
      .filter((identity): identity is Identity => identity !== undefined)
      .map((identity) => [identity.id, identity]),
  );
  return ticketWords(ticket, system, people, deps.clock.now());
}

/**
 * Why an approver is asked for a stage, with the people and the system named as the directory names
 * them. Given the `reader`, it also says when they are asked as someone's delegate, or because the
 * stage was reassigned to them.
 */
export async function approvalExplanation(
  directory: Pick<DirectoryView, 'identity'>,
  ticket: Ticket,
  stageIndex: number,
  system: System | undefined,
  reader?: string,
): Promise<string> {
  const nameOf = async (id: string) => (await directory.identity(id))?.name ?? id;
  const [beneficiary, owner, standIn] = await Promise.all([
    nameOf(ticket.beneficiary),
    ticket.beneficiaryOwner ? nameOf(ticket.beneficiaryOwner) : null,
    reader ? standInOf(ticket, stageIndex, reader, nameOf) : null,
  ]);
  return explainApproval(
    ticket,
    stageIndex,
    { beneficiary, owner, system: system?.name ?? ticket.system ?? 'the system' },
    standIn,
  );
}

/**
 * A delegate stands in for the approvers their delegation names; someone asked after a reassignment
 * (and not by the escalation that came later) stands in for whoever was asked before.
 */
async function standInOf(
  ticket: Ticket,
  stageIndex: number,
  reader: string,
  nameOf: (id: string) => Promise<string>,
): Promise<StandIn> {
  const stage = ticket.approvals[stageIndex];
  const principals = stage?.delegates?.[reader];
  if (principals) return { delegateOf: await Promise.all(principals.map(nameOf)) };
  const handedOver = (stage?.reassignedFrom?.length ?? 0) > 0 && !stage?.escalatedTo.includes(reader);
  return handedOver ? { reassigned: true } : null;
}
