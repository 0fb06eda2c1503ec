import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamedJson } from '../../../functions/adapters/s3/streamed-json';

/** The text in pieces cut at `cuts` (offsets, in any order), as a body arrives in chunks. */
function piecesOf(text: string, cuts: number[]): string[] {
  const offsets = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const offset of offsets) {
    pieces.push(text.slice(from, offset));
    from = offset;
  }
  pieces.push(text.slice(from));
  return pieces;
}

/** Parses the pieces with StreamedJson: the document, and the elements streamed out of the array at `path`. */
function parse(pieces: string[], path: string[] = ['checkpoint', 'heads']) {
  const elements: unknown[] = [];
  const holders: unknown[] = [];
  const parser = new StreamedJson(path, {
    onArray: (holder) => holders.push(structuredClone(holder)),
    onElement: (element) => elements.push(element),
  });
  for (const piece of pieces) parser.write(piece);
  return { document: parser.end(), elements, holders };
}

/** What JSON.parse answers, or that it throws. */
function jsonParse(text: string): { value: unknown } | 'throws' {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return 'throws';
  }
}

function streamed(pieces: string[]): { value: unknown } | 'throws' {
  try {
    return { value: parse(pieces, ['no such key']).document };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return 'throws';
  }
}

const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('streamed JSON', () => {
  it('answers what JSON.parse answers for any JSON text, however it is cut into chunks', () => {
    fc.assert(
      fc.property(fc.json(), cuts, (text, at) => {
        expect(streamed(piecesOf(text, at))).toEqual(jsonParse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what JSON.parse refuses, and takes what it takes, in text with a character put in, taken out or changed', () => {
    const alphabet = fc.constantFrom(...'{}[]:,"\\ \n0-1.eE+tfnulrsa\u0001\u00e9x');
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        alphabet,
        fc.constantFrom('insert', 'delete', 'replace'),
        cuts,
        (text, at, char, edit, cut) => {
          const offset = at % (text.length + 1);
          const mutated =
            edit === 'insert'
              ? text.slice(0, offset) + char + text.slice(offset)
              : text.slice(0, offset) + (edit === 'replace' ? char : '') + text.slice(offset + 1);
          expect(streamed(piecesOf(mutated, cut))).toEqual(jsonParse(mutated));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses text that ends early, or goes on after the document', () => {
    for (const text of ['', ' ', '{"a":1', '[1,2', '"abc', 'tru', '{"a":1}}', '1 2', '{} []', '-']) {
      expect(streamed([text]), text).toBe('throws');
      expect(jsonParse(text), text).toBe('throws');
    }
  });

  it('hands over each element of the array at the path as it completes, and leaves that array empty', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 6 }),
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
        cuts,
        (heads, extra, at) => {
          const document = {
            checkpoint: { seq: 1, at: 'now', heads, ...extra, previous: 'p' },
            signature: 's',
          };
          const text = JSON.stringify(document);
          const { document: parsed, elements } = parse(piecesOf(text, at));
          const whole = JSON.parse(text);
          expect(elements).toEqual(whole.checkpoint.heads);
          expect(parsed).toEqual({ ...whole, checkpoint: { ...whole.checkpoint, heads: [] } });
        },
      ),
    );
  });

  it('tells when the array opens, with what its holder held before it', () => {
    // Act
    const { holders } = parse(['{"checkpoint":{"seq":2,"at":"t","heads":[{"chain":"a"}],"keyId":"k"}}']);

    // Assess
    expect(holders).toEqual([{ seq: 2, at: 't' }]);
  });

  it('streams only the array at the path, not one of the same name elsewhere', () => {
    // Act
    const { document, elements } = parse(['{"heads":[1],"checkpoint":{"x":{"heads":[2]},"heads":[3]}}']);

    // Assess
    expect(elements).toEqual([3]);
    expect(document).toEqual({ heads: [1], checkpoint: { x: { heads: [2] }, heads: [] } });
  });

  it('keeps __proto__ as a key, as JSON.parse does', () => {
    // Act
    const { document } = parse(['{"__proto__":{"polluted":true}}']);

    // Assess
    expect(Object.getPrototypeOf(document)).toBe(Object.prototype);
    expect(document).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
  });
});
