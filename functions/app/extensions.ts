import { accountablePersonId, type Identity, isActive } from '../domain/directory';
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors';
import { type ExtensionBody, recordExpiryNotice } from '../domain/extension';
import { grantFrom } from '../domain/grants';
import type { Ticket } from '../domain/ticket';
import { expiryNoticeEmail } from './emails';
import { wordsFor } from './explanations';
import type { GrantStore } from './ports';
import { type SubmitDeps, submitRequest } from './submit-request';
import { updateTicket } from './ticket-updates';
import { type LinkMailDeps, mintLink } from './workflow-steps';

/** How many notices one run sends at most; the next run goes on from there. */
const NOTICE_LIMIT = 200;

/**
 * Primary course (a periodic schedule): tell the holder of each grant whose notice is due (a
 * service account's owner for it) that it ends, with a link of their own to extend it, reading
 * only the grants due through the sparse NOTICE_DUE index. The notice is recorded on the ticket
 * before it is sent, so a crash in between loses it rather than sending it twice. A recipient who
 * is not active is recorded as told, and sent nothing.
 */
export async function sendExpiryNotices(
  deps: LinkMailDeps & Pick<SubmitDeps, 'tickets'> & { grants: GrantStore },
): Promise<{ sent: number }> {
  const now = deps.clock.now();
  let sent = 0;
  for (const due of await deps.grants.noticesDue(now, NOTICE_LIMIT)) {
    const holder = await deps.directory.identity(due.holder);
    const to = holder ? accountablePersonId(holder) : due.holder;
    let recorded = false;
    const ticket = await updateTicket(deps.tickets, due.ticket, (current) => {
      const noticed = recordExpiryNotice(current, to, now.toISOString());
      recorded = noticed !== current;
      return noticed;
    });
    const grant = grantFrom(ticket);
    if (grant) await deps.grants.put(grant);
    if (!recorded || !ticket.grant?.until) continue;
    // Nobody suspended or departed is sent a link that acts (their grants end by the identity change).
    if (!isActive(await deps.directory.identity(to))) continue;
    const url = await mintLink(deps, {
      purpose: 'extend',
      ticketId: ticket.id,
      taskId: ticket.grant.id,
      identity: to,
      expiresAt: ticket.grant.until,
    });
    await deps.mailer.send(expiryNoticeEmail({ ticket, words: await wordsFor(deps, ticket), to, url }));
    sent++;
  }
  return { sent };
}

/**
 * Primary course (POST /grants/{id}/extend, or the expiry notice's link): the holder, or a service
 * account's owner, files an extension: an access request for the same entitlement, naming the
 * grant, decided by policy like any other. Alternate courses: someone who sees the grant but does
 * not hold it gets 403, anyone else 404; a grant no longer active is a 409.
 */
export async function requestExtension(
  deps: SubmitDeps & { grants: GrantStore },
  caller: Identity,
  grantId: string,
  body: ExtensionBody,
  idempotencyKey?: string,
): Promise<{ ticket: Ticket; replayed: boolean }> {
  const grant = await deps.grants.get(grantId);
  const [holder, system] = grant
    ? await Promise.all([deps.directory.identity(grant.holder), deps.directory.system(grant.system)])
    : [undefined, undefined];
  const holds = grant !== undefined && (grant.holder === caller.id || holder?.ownerId === caller.id);
  const sees =
    holds ||
    caller.roles.includes('security') ||
    caller.roles.includes('auditor') ||
    (system !== undefined && system.ownerId === caller.id);
  if (!grant || !sees) throw new NotFoundError(`No grant ${grantId}`);
  if (!holds)
    throw new ForbiddenError('Only the holder of a grant, or its service account’s owner, extends it');
  if (grant.status !== 'active' || grant.until === null) {
    throw new ConflictError(
      grant.until === null ? 'Standing access has no end to extend' : `This grant is ${grant.status}`,
    );
  }
  const original = await deps.tickets.get(grant.ticket);
  return submitRequest(deps, {
    caller,
    body: {
      type: 'access',
      beneficiary: grant.holder,
      system: grant.system,
      entitlement: grant.entitlement,
      duration: body.duration,
      justification: body.justification,
      urgency: original?.urgency ?? 'normal',
    },
    idempotencyKey,
    extends: grantId,
  });
}
