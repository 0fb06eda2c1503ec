import { randomBytes } from 'node:crypto';
import type { ExtensionLinkView, FeedbackLinkView, TaskLinkView } from '../../app/links';
import type { Recorded } from '../../domain/recorded';
import { revocationCause } from '../../domain/revocation';
import {
  approvedBy,
  durationInWords,
  earlierApprovals,
  policySentence,
  recordedInWords,
} from '../../domain/wording';
import type { HttpResult } from './route';

/** Server-rendered pages behind emailed links: no script, one inline stylesheet allowed by nonce. */

const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

// Ids, addresses, URLs and justifications are long unbroken words: they wrap (overflow-wrap) rather
// than widen the page past a phone's 390 px, and on a narrow screen each label sits above its value.
const STYLE = `
  *{box-sizing:border-box} body{font-family:system-ui,Arial,sans-serif;color:#1f2933;background:#f5f7fa;margin:0;padding:2rem}
  main{max-width:40rem;margin:auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px #0002;overflow-wrap:anywhere}
  h1{font-size:1.4rem;margin-top:0} table{border-collapse:collapse;width:100%;margin:1rem 0;table-layout:fixed}
  th{text-align:left;color:#52606d;font-weight:normal;padding:.3rem 1rem .3rem 0;vertical-align:top;width:9rem}
  td{padding:.3rem 0} textarea,input{width:100%;max-width:100%;font:inherit} textarea{min-height:5rem}
  label{display:block;margin-top:.75rem}
  .actions{display:flex;flex-wrap:wrap;gap:1rem;margin-top:1rem} button{font:inherit;padding:.6rem 1.4rem;border-radius:6px;border:0;cursor:pointer}
  .approve{background:#2f8132;color:#fff} .deny{background:#ba2525;color:#fff} .note{color:#52606d;font-size:.9rem}
  .badge{display:inline-block;padding:.1rem .5rem;border-radius:4px;background:#e4e7eb}
  ul{padding-left:1.2rem}
  @media (max-width:36rem){body{padding:.5rem} main{padding:1rem} th,td{display:block;width:auto} th{padding-bottom:0} td{padding-bottom:.6rem}}`;

export function page(status: number, title: string, body: string): HttpResult {
  const nonce = randomBytes(16).toString('base64');
  return {
    statusCode: status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)} · Tollgate</title><style nonce="${nonce}">${STYLE}</style></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
  };
}

export const messagePage = (status: number, title: string, message: string) =>
  page(status, title, `<p>${escapeHtml(message)}</p>`);

const rowsTable = (rows: [string, string][]): string =>
  `<table>${rows.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>`;

/** After the link's form acted: what was recorded, and what happens next. */
export function recordedPage(view: TaskLinkView, recorded: Recorded): HttpResult {
  const { title, lines } = recordedInWords(recorded, view.ticket, view.words);
  return page(
    200,
    title,
    `${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}
     <p class="note">Recorded ${escapeHtml(view.words.when(recorded.at))} on ${escapeHtml(recorded.number)} (${escapeHtml(recorded.ticketId)}). You can close this page.</p>`,
  );
}

function whyAsked(view: TaskLinkView): string {
  if (view.link.purpose === 'revoke') {
    const overdue = view.ticket.revocation?.overdue ? ' This revocation is overdue.' : '';
    return `${revocationCause(view.ticket)} Remove the access, then confirm it here.${overdue}`;
  }
  if (view.link.purpose === 'fulfilment')
    return `You are a named fulfiller of ${view.system?.name ?? view.ticket.system ?? 'this queue'}.`;
  const stage = view.ticket.approvals[view.task.stageIndex ?? 0];
  const passedOver = (stage?.path ?? [])
    .filter((id) => id !== view.recipient.id && !id.startsWith('role:'))
    .map(view.words.person);
  const role =
    stage?.path.at(-1) === 'role:security'
      ? 'a member of the security group (the first decision wins)'
      : `the ${stage?.stage} approver`;
  const passed = passedOver.length
    ? ` Passed over on the way to you: ${passedOver.join(', ')} (party to the request or not available).`
    : '';
  return `${view.why ?? `You are asked as ${role}.`}${passed}`;
}

/** The confirmation page: everything needed to decide, and a form that is the only way to decide. */
export function confirmationPage(view: TaskLinkView, csrf: string): HttpResult {
  const { ticket, system, words } = view;
  const approval = view.link.purpose === 'approval';
  const approvers = approval
    ? earlierApprovals(ticket, view.task.stageIndex ?? 0, words)
    : approvedBy(ticket, words);
  const rows: [string, string][] = [
    ['Ticket', `${ticket.number} (${ticket.id})`],
    ['Requested by', words.person(ticket.requester)],
    ['For', words.person(ticket.beneficiary)],
    ...(ticket.type === 'access'
      ? ([
          ['System', words.systemName],
          ['Sensitivity', system?.sensitivity ?? 'unknown'],
          ['Entitlement', words.entitlement],
          ['Duration', durationInWords(ticket.duration)],
          ['Justification', ticket.justification ?? ''],
          ['Evidence', ticket.evidence.join(' ') || 'none'],
          ['Policy', policySentence(ticket.decision)],
        ] as [string, string][])
      : ([
          ['Category', ticket.category ?? ''],
          ['Description', ticket.description ?? ''],
        ] as [string, string][])),
    ...(approvers.length
      ? ([[approval ? 'Already approved by' : 'Approved by', approvers.join('; ')]] as [string, string][])
      : []),
    ['Urgency', ticket.urgency],
    ['Deadline', words.when(view.link.expiresAt)],
  ];
  const form =
    view.link.purpose === 'revoke'
      ? `<label for="comment">Note (optional: how it was removed)</label><textarea id="comment" name="comment" maxlength="2000"></textarea>
       <div class="actions"><button class="approve" name="confirm" value="revoked">The access is removed</button></div>`
      : approval
        ? `<label for="comment">Comment (optional)</label><textarea id="comment" name="comment" maxlength="2000"></textarea>
       <div class="actions"><button class="approve" name="decision" value="approve">Approve</button><button class="deny" name="decision" value="deny">Deny</button></div>`
        : `<label for="note">Note (what was done, or why it failed${view.ticket.type === 'support' ? '; required' : ''})</label><textarea id="note" name="note" maxlength="2000"${view.ticket.type === 'support' ? ' required' : ''}></textarea>
       <div class="actions"><button class="approve" name="result" value="done">Done</button><button class="deny" name="result" value="failed">Failed</button></div>`;
  return page(
    200,
    view.link.purpose === 'revoke'
      ? 'Confirm access removed'
      : approval
        ? 'Review an access request'
        : 'Report fulfilment',
    `<p>${escapeHtml(whyAsked(view))}</p>
     ${rowsTable(rows)}
     <form method="post"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">${form}</form>
     <p class="note">Opening this page decided nothing. This link is for ${escapeHtml(words.person(view.recipient.id))} only and works once.</p>`,
  );
}

/** An expiry notice's page: the grant, and a form that is the only way to ask for more time. */
export function extensionPage(view: ExtensionLinkView, csrf: string): HttpResult {
  const { grant, words } = view;
  const ends = words.when(grant.until ?? '');
  const rows: [string, string][] = [
    ['Grant', grant.id],
    ['Holder', words.person(grant.holder)],
    ['System', words.systemName],
    ['Entitlement', words.entitlement],
    ['Since', words.when(grant.from)],
    ['Ends', ends],
  ];
  return page(
    200,
    'Extend your access',
    `<p>This access ends ${escapeHtml(ends)}. Ask for more time below: the request is decided like a new one, by policy and by those it asks.</p>
     ${rowsTable(rows)}
     <form method="post"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
       <label for="duration">How much longer (ISO 8601, for example P7D for seven days)</label><input id="duration" name="duration" required value="P7D">
       <label for="justification">Why it is still needed</label><textarea id="justification" name="justification" maxlength="2000" required></textarea>
       <div class="actions"><button class="approve" name="extend" value="yes">Ask to extend</button></div></form>
     <p class="note">Opening this page asked for nothing. This link is for ${escapeHtml(words.person(view.recipient.id))} only and works once.</p>`,
  );
}

/** A survey's page: the resolved request, and a form that is the only way to record a rating. */
export function feedbackPage(view: FeedbackLinkView, csrf: string): HttpResult {
  const { ticket, system } = view;
  const rows: [string, string][] = [
    ['Ticket', `${ticket.number} (${ticket.id})`],
    ...(ticket.type === 'access'
      ? ([
          ['System', system?.name ?? ticket.system ?? ''],
          ['Entitlement', ticket.entitlement ?? ''],
          ['For', ticket.beneficiary],
        ] as [string, string][])
      : ([['Category', ticket.category ?? '']] as [string, string][])),
    ['Outcome', ticket.closure ?? ticket.status],
  ];
  const ratings = [1, 2, 3, 4, 5]
    .map(
      (rating) =>
        `<label><input type="radio" name="rating" value="${rating}" required> ${rating}${rating === 1 ? ' (poor)' : rating === 5 ? ' (excellent)' : ''}</label>`,
    )
    .join(' ');
  return page(
    200,
    'How did your request go?',
    `<p>Rate how your request went, from 1 (poor) to 5 (excellent), with a comment if you like.</p>
     <table>${rows.map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>
     <form method="post"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
       <fieldset><legend>Rating</legend>${ratings}</fieldset>
       <label for="comment">Comment (optional)</label><textarea id="comment" name="comment" maxlength="2000"></textarea>
       <div class="actions"><button class="approve" type="submit">Send</button></div></form>
     <p class="note">Opening this page recorded nothing. This link is for ${escapeHtml(view.recipient.id)} only and works once.</p>`,
  );
}
