import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/fast-check.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests spawn servers and ports; two cores are better spent on fewer, steadier workers.
    maxWorkers: 2,
  },
});
