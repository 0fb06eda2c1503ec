import fc from 'fast-check';

/**
 * Every property's failure names its seed and path (fast-check prints them with the counterexample);
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run <file>` replays that run exactly. A failure found
 * this way then becomes one of the property's fixed `examples`, so it is tried on every run.
 */
const seed = process.env.FC_SEED;
if (seed !== undefined) {
  if (!/^-?\d+$/.test(seed)) throw new Error(`FC_SEED must be an integer, not ${JSON.stringify(seed)}`);
  fc.configureGlobal({
    seed: Number(seed),
    ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
  });
}
