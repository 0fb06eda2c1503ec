import type { DirectoryView, System } from '../domain/directory';
import { explainApproval } from '../domain/policy/explain';
import type { Ticket } from '../domain/ticket';

/** Why an approver is asked for a stage, with the people and the system named as the directory names them. */
export async function approvalExplanation(
  directory: Pick<DirectoryView, 'identity'>,
  ticket: Ticket,
  stageIndex: number,
  system: System | undefined,
): Promise<string> {
  const [beneficiary, owner] = await Promise.all([
    directory.identity(ticket.beneficiary),
    ticket.beneficiaryOwner ? directory.identity(ticket.beneficiaryOwner) : undefined,
  ]);
  return explainApproval(ticket, stageIndex, {
    beneficiary: beneficiary?.name ?? ticket.beneficiary,
    owner: ticket.beneficiaryOwner ? (owner?.name ?? ticket.beneficiaryOwner) : null,
    system: system?.name ?? ticket.system ?? 'the system',
  });
}
