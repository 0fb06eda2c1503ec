import type { DirectoryView, System } from '../domain/directory';
import { explainApproval, type StandIn } from '../domain/policy/explain';
import type { Ticket } from '../domain/ticket';

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
