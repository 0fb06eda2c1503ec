import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resourcesOfType, synth } from './synth';

/**
 * The functions run on Lambda's Node; `npm start`, the tests and the bench run on the Node that the
 * project pins in node_modules (the `node` package), which npm scripts find before the machine's.
 */
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

describe('the Node version', () => {
  it('that runs the tests is the one the functions deploy with', () => {
    // Prepare
    const runtimes = new Set(
      Object.values(resourcesOfType(synth().templates.stateless, 'AWS::Lambda::Function')).map((fn) =>
        String(fn.Properties.Runtime),
      ),
    );

    // Act
    const deployed = [...runtimes].map((runtime) => Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]));

    // Assess
    expect(deployed).toEqual([major(process.version)]);
  });

  it('is pinned exactly in package.json, at the major the functions deploy with', () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

    // Act
    const pinned = String(manifest.devDependencies.node);

    // Assess
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major(pinned)).toBe(major(process.version));
  });
});
