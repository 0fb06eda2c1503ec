import { describe, expect, it } from 'vitest';
import { jsonData } from '../../../functions/handlers/pages/html';

describe('a JSON data block of a console page', () => {
  it('keeps any text inside its element: no value closes it or opens a comment, and the JSON reads back the same', () => {
    // Prepare
    const value = {
      categories: ['</script><script>alert(1)</script>', '<!--', 'a & b > c', 'line\u2028end'],
    };

    // Act
    const block = jsonData('chart-x', value).text;

    // Assess
    const inner =
      /^<script type="application\/json" id="chart-x">([\s\S]*)<\/script>$/.exec(block)?.[1] ?? '';
    expect(inner).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(inner)).toEqual(value);
  });

  it('escapes its id as an attribute', () => {
    // Act
    const block = jsonData('x" onload="y', 1).text;

    // Assess
    expect(block).toBe('<script type="application/json" id="x&#34; onload=&#34;y">1</script>');
  });
});
