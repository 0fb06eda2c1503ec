import { describe, expect, it } from 'vitest';
import { newDataDir, removeDataDir, startTollgate } from '../support/tollgate-process';

describe('npm start', () => {
  it('refuses an ADMIN_DEFAULT_MAX_DURATION that is not an ISO 8601 duration, naming it, before serving anything', async () => {
    // Prepare
    const dataDir = newDataDir();

    // Act
    const starting = startTollgate({ dataDir, env: { ADMIN_DEFAULT_MAX_DURATION: '7 days' } });

    // Assess
    try {
      await expect(starting).rejects.toThrow(
        /exited \(1\) before it was ready:[\s\S]*ADMIN_DEFAULT_MAX_DURATION: must be an ISO 8601 duration/,
      );
    } finally {
      await starting.then((started) => started.kill()).catch(() => undefined);
      removeDataDir(dataDir);
    }
  });
});
