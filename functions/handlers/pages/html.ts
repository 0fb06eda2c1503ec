/** HTML built by tagged templates: every interpolated value is escaped unless it is already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

export const escapeText = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function render(value: Value): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeText(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

/** A time as a `<time>` element: UTC as sent, turned into the viewer's zone by console.js. */
export const time = (at: string | null | undefined): Html =>
  at ? html`<time datetime="${at}">${at.slice(0, 16).replace('T', ' ')} UTC</time>` : html`–`;

/**
 * A JSON data block for the page's own script (`<script type="application/json">`, which no browser
 * runs, so the CSP is untouched): every `<`, `>` and `&` written as a JSON escape, so no value can
 * close the element or open a comment, whatever text it holds.
 */
export const jsonData = (id: string, value: unknown): Html =>
  new Html(
    `<script type="application/json" id="${escapeText(id)}">${JSON.stringify(value).replace(
      /[<>&\u2028\u2029]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )}</script>`,
  );
