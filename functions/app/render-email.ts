export interface EmailAction {
  label: string;
  /** Absolute http(s) URL. */
  url: string;
}

export interface EmailContent {
  title: string;
  /** Paragraphs, in order. */
  intro: string[];
  /** Label/value pairs shown as a small table (ticket, system, justification, ...). */
  rows?: [label: string, value: string][];
  actions?: EmailAction[];
  footer?: string;
}

export interface RenderedEmail {
  html: string;
  text: string;
}

// Mail clients drop <style> blocks and CSS layout, so everything is inline styles and tables.
const FONT = 'font-family:Arial,Helvetica,sans-serif;color:#1f2933;';
// Ids, addresses and URLs are long unbroken words: they wrap rather than widen a phone's screen.
const WRAP = 'overflow-wrap:anywhere;word-break:break-word;';

/** Renders one message as an HTML part and a plain-text part with the same content and links. */
export function renderEmail(content: EmailContent): RenderedEmail {
  const { title, intro, rows = [], actions = [], footer } = content;
  for (const action of actions) {
    if (!/^https?:\/\//i.test(action.url) || !URL.canParse(action.url)) {
      throw new Error(`Email action "${action.label}" needs an absolute http(s) URL, got: ${action.url}`);
    }
  }
  return {
    html: renderHtml(title, intro, rows, actions, footer),
    text: renderText(title, intro, rows, actions, footer),
  };
}

function renderHtml(
  title: string,
  intro: string[],
  rows: [string, string][],
  actions: EmailAction[],
  footer: string | undefined,
): string {
  const paragraphs = intro.map(
    (p) => `<p style="${FONT}${WRAP}font-size:15px;line-height:22px;margin:0 0 12px;">${esc(p)}</p>`,
  );
  const table = rows.length
    ? `<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" style="border-collapse:collapse;margin:8px 0 16px;">${rows
        .map(
          ([label, value]) =>
            `<tr><td valign="top" style="${FONT}font-size:14px;font-weight:bold;padding:6px 12px 6px 0;border-bottom:1px solid #e4e7eb;white-space:nowrap;">${esc(label)}</td>` +
            `<td valign="top" style="${FONT}${WRAP}font-size:14px;padding:6px 0;border-bottom:1px solid #e4e7eb;">${esc(value)}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  // One button a row, each with its address in plain text beneath, for clients that show no buttons.
  const buttons = actions
    .map(
      (action) =>
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 4px;"><tr>' +
        `<td bgcolor="#1d4ed8" style="border-radius:4px;"><a href="${esc(action.url)}" style="${FONT}display:inline-block;font-size:15px;font-weight:bold;color:#ffffff;text-decoration:none;padding:10px 20px;">${esc(action.label)}</a></td>` +
        '</tr></table>' +
        `<p style="${FONT}${WRAP}font-size:12px;line-height:18px;color:#616e7c;margin:0 0 16px;">Or open this address: <a href="${esc(action.url)}" style="color:#1d4ed8;">${esc(action.url)}</a></p>`,
    )
    .join('');
  const foot = footer
    ? `<p style="${FONT}font-size:12px;line-height:18px;color:#616e7c;margin:16px 0 0;">${esc(footer)}</p>`
    : '';
  return (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    `<title>${esc(title)}</title></head><body style="margin:0;padding:0;background:#f5f7fa;">` +
    '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" bgcolor="#f5f7fa"><tr><td align="center" style="padding:24px 12px;">' +
    '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="600" bgcolor="#ffffff" style="max-width:600px;width:100%;table-layout:fixed;"><tr><td style="padding:24px 16px;">' +
    `<h1 style="${FONT}${WRAP}font-size:20px;line-height:28px;margin:0 0 16px;">${esc(title)}</h1>` +
    `${paragraphs.join('')}${table}${buttons}${foot}` +
    '</td></tr></table></td></tr></table></body></html>'
  );
}

function renderText(
  title: string,
  intro: string[],
  rows: [string, string][],
  actions: EmailAction[],
  footer: string | undefined,
): string {
  const blocks = [title, ...intro];
  if (rows.length) blocks.push(rows.map(([label, value]) => `${label}: ${value}`).join('\n'));
  if (actions.length) blocks.push(actions.map((action) => `${action.label}: ${action.url}`).join('\n'));
  if (footer) blocks.push(`--\n${footer}`);
  return `${blocks.join('\n\n')}\n`;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}
