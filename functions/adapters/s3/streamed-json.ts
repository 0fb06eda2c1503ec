type Frame =
  | {
      kind: 'object';
      value: Record<string, unknown>;
      key: string | null;
      expect: 'firstKey' | 'key' | 'colon' | 'value' | 'commaOrEnd';
    }
  | { kind: 'array'; value: unknown[]; streamed: boolean; expect: 'firstValue' | 'value' | 'commaOrEnd' };

/** Where a token that spans chunks stands: inside a string (after its opening quote), a number or a literal. */
type Partial =
  | { kind: 'string'; raw: string; escaped: boolean }
  | { kind: 'number' | 'literal'; raw: string };

const isWhitespace = (code: number) => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
const isNumberChar = (code: number) =>
  (code >= 0x30 && code <= 0x39) ||
  code === 0x2d ||
  code === 0x2b ||
  code === 0x2e ||
  code === 0x65 ||
  code === 0x45;
const isLetter = (code: number) => code >= 0x61 && code <= 0x7a;
const literals: Record<string, unknown> = { true: true, false: false, null: null };

/**
 * One JSON document parsed as its text arrives, a chunk at a time: `end()` answers what JSON.parse
 * answers for the whole text, and throws a SyntaxError where it would, except that the array at
 * `path` (keys of objects from the root) is not kept: `onArray` is told when it opens (with the
 * object that holds it, as far as it has been read), and each element goes to `onElement` as soon
 * as it is complete, so that array is left empty. Memory is the rest of the document and one element.
 *
 * Written for checkpoint files (adapters/s3/checkpoint-store.ts), whose heads name every chain changed
 * since the one before: the first names every chain there is. Not a library's: @streamparser/json
 * (0.0.26) emits values by path but not an array's opening, which is how a checkpoint whose heads
 * come twice, or before its fields, is told, and it keeps every emitted element while the document
 * around it is also to be emitted; stream-json would need its tokens assembled again beside a pick
 * of the heads.
 */
export class StreamedJson {
  private readonly stack: Frame[] = [];
  private partial: Partial | undefined;
  private root: { value: unknown } | undefined;
  private position = 0;

  constructor(
    private readonly path: readonly string[],
    private readonly handlers: {
      onArray(holder: Record<string, unknown>): void;
      onElement(element: unknown): void;
    },
  ) {}

  write(text: string): void {
    let index = 0;
    if (this.partial) index = this.continuePartial(text, 0);
    while (index < text.length) {
      const code = text.charCodeAt(index);
      if (isWhitespace(code)) {
        index++;
        continue;
      }
      if (code === 0x22) {
        this.partial = { kind: 'string', raw: '', escaped: false };
        index = this.continuePartial(text, index + 1);
      } else if (isNumberChar(code)) {
        this.partial = { kind: 'number', raw: '' };
        index = this.continuePartial(text, index);
      } else if (isLetter(code)) {
        this.partial = { kind: 'literal', raw: '' };
        index = this.continuePartial(text, index);
      } else {
        this.punctuation(code, index);
        index++;
      }
    }
    this.position += text.length;
  }

  /** The document, once its text is all written. */
  end(): unknown {
    if (this.partial && this.partial.kind !== 'string') this.finishPartial(this.position);
    if (this.partial || this.stack.length > 0 || !this.root) this.fail('Unexpected end of JSON input');
    return this.root.value;
  }

  /** Reads on from `index` into the token begun before; answers where the text after it starts. */
  private continuePartial(text: string, index: number): number {
    const partial = this.partial as Partial;
    if (partial.kind === 'string') {
      let escaped = partial.escaped;
      let end = index;
      for (; end < text.length; end++) {
        const code = text.charCodeAt(end);
        if (escaped) escaped = false;
        else if (code === 0x5c) escaped = true;
        else if (code === 0x22) break;
      }
      partial.raw += text.slice(index, end);
      partial.escaped = escaped;
      if (end === text.length) return end;
      this.finishPartial(this.position + end);
      return end + 1;
    }
    const belongs = partial.kind === 'number' ? isNumberChar : isLetter;
    let end = index;
    while (end < text.length && belongs(text.charCodeAt(end))) end++;
    partial.raw += text.slice(index, end);
    if (end < text.length) this.finishPartial(this.position + end);
    return end;
  }

  private finishPartial(at: number): void {
    const partial = this.partial as Partial;
    this.partial = undefined;
    let value: unknown;
    if (partial.kind === 'literal') {
      if (!Object.hasOwn(literals, partial.raw)) this.fail(`Unexpected token '${partial.raw}'`, at);
      value = literals[partial.raw];
    } else {
      // JSON.parse itself decodes escapes and checks the number's form, as it would in the whole text.
      try {
        value = JSON.parse(partial.kind === 'string' ? `"${partial.raw}"` : partial.raw);
      } catch {
        this.fail(`Bad ${partial.kind}`, at);
      }
    }
    const top = this.stack.at(-1);
    if (
      partial.kind === 'string' &&
      top?.kind === 'object' &&
      (top.expect === 'firstKey' || top.expect === 'key')
    ) {
      top.key = value as string;
      top.expect = 'colon';
      return;
    }
    this.value(value, at);
  }

  private punctuation(code: number, at: number): void {
    const top = this.stack.at(-1);
    if (code === 0x7b || code === 0x5b) {
      this.expectValue(at);
      if (code === 0x7b) {
        this.stack.push({ kind: 'object', value: {}, key: null, expect: 'firstKey' });
        return;
      }
      const streamed = this.opensStreamedArray();
      if (streamed) this.handlers.onArray((top as Extract<Frame, { kind: 'object' }>).value);
      this.stack.push({ kind: 'array', value: [], streamed, expect: 'firstValue' });
      return;
    }
    if (
      code === 0x7d &&
      top?.kind === 'object' &&
      (top.expect === 'firstKey' || top.expect === 'commaOrEnd')
    ) {
      this.stack.pop();
      this.value(top.value, at);
    } else if (code === 0x5d && top?.kind === 'array' && top.expect !== 'value') {
      this.stack.pop();
      this.value(top.value, at);
    } else if (code === 0x3a && top?.kind === 'object' && top.expect === 'colon') {
      top.expect = 'value';
    } else if (code === 0x2c && top?.expect === 'commaOrEnd') {
      top.expect = top.kind === 'object' ? 'key' : 'value';
    } else {
      this.fail(`Unexpected token '${String.fromCharCode(code)}'`, at);
    }
  }

  /** A value may start here: at the root, after a key's colon, or where an array takes one. */
  private expectValue(at: number): void {
    const top = this.stack.at(-1);
    const ready = top ? top.expect === 'value' || top.expect === 'firstValue' : !this.root;
    if (!ready) this.fail('Unexpected value', at);
  }

  /** A complete value: the root, a key's value, or an array's next element. */
  private value(value: unknown, at: number): void {
    this.expectValue(at);
    const top = this.stack.at(-1);
    if (!top) {
      this.root = { value };
      return;
    }
    if (top.kind === 'array') {
      if (top.streamed) this.handlers.onElement(value);
      else top.value.push(value);
    } else {
      const key = top.key as string;
      // As JSON.parse does: `__proto__` is a key like any other, not the object's prototype.
      if (key === '__proto__') {
        Object.defineProperty(top.value, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else top.value[key] = value;
    }
    top.expect = 'commaOrEnd';
  }

  /** Whether the array opening now is the value of the keys `path` names, from the root. */
  private opensStreamedArray(): boolean {
    if (this.stack.length !== this.path.length) return false;
    return this.stack.every((frame, depth) => frame.kind === 'object' && frame.key === this.path[depth]);
  }

  private fail(message: string, at?: number): never {
    throw new SyntaxError(at === undefined ? message : `${message} in JSON at position ${at}`);
  }
}
