import { once } from 'node:events';
import { cpSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('refuses a WEEKLY_REPORT_SCHEDULE that Scheduler would refuse, naming it, before serving anything', async () => {
    // Prepare
    const dataDir = newDataDir();

    // Act: day-of-month and day-of-week both given, which EventBridge refuses
    const starting = startTollgate({ dataDir, env: { WEEKLY_REPORT_SCHEDULE: 'cron(0 7 * * 2 *)' } });

    // Assess
    try {
      await expect(starting).rejects.toThrow(
        /exited \(1\) before it was ready:[\s\S]*WEEKLY_REPORT_SCHEDULE: cron\(0 7 \* \* 2 \*\): exactly one of day-of-month and day-of-week must be \?/,
      );
    } finally {
      await starting.then((started) => started.kill()).catch(() => undefined);
      removeDataDir(dataDir);
    }
  });

  it('refuses a policy set Cedar refuses, naming the policy, file, line and problem, before serving anything', async () => {
    // Prepare: the project's policies, one of them with an attribute the schema does not have, on line 3
    const dataDir = newDataDir();
    const policiesDir = join(dataDir, 'policies');
    cpSync(fileURLToPath(new URL('../../policies', import.meta.url)), policiesDir, { recursive: true });
    writeFileSync(
      join(policiesDir, 'typo.cedar'),
      '@id("typo")\npermit (principal, action == Tollgate::Action::"autoApprove", resource)\nwhen { resource.klass == "read" };\n',
    );

    // Act
    const starting = startTollgate({ dataDir, env: { TOLLGATE_POLICIES_DIR: policiesDir } });

    // Assess
    try {
      const failure = await starting.then(
        () => undefined,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(
        /exited \(1\) before it was ready:[\s\S]*policy typo \(typo\.cedar, line 3\): .*klass/,
      );
      expect(failure).not.toMatch(/\n\s+at /);
    } finally {
      await starting.then((started) => started.kill()).catch(() => undefined);
      removeDataDir(dataDir);
    }
  });

  /** A port something else already listens on. */
  const occupiedPort = async (): Promise<{ port: number; server: Server }> => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, server };
  };

  it.each([
    ['PORT', '3000'],
    ['TOLLGATE_SFN_PORT', 'PORT+2'],
  ])(
    'exits 1 naming %s when its port is already in use, without a stack trace',
    async (setting, fallback) => {
      // Prepare
      const dataDir = newDataDir();
      const { port, server } = await occupiedPort();
      const ports = {
        TOLLGATE_DYNAMODB_PORT: '0',
        TOLLGATE_SFN_PORT: '0',
        TOLLGATE_SES_PORT: '0',
        TOLLGATE_SCHEDULER_PORT: '0',
        TOLLGATE_S3_PORT: '0',
      };

      // Act
      const starting = startTollgate({ dataDir, env: { ...ports, [setting]: String(port) } });

      // Assess
      try {
        const failure = await starting.then(
          () => undefined,
          (error: Error) => error.message,
        );
        expect(failure).toMatch(
          new RegExp(
            `exited \\(1\\) before it was ready:[\\s\\S]*Port ${port} is already in use .* so ${setting} \\(default ${fallback.replace('+', '\\+')}\\) cannot listen there\\. Stop that program, or set ${setting} to a free port`,
          ),
        );
        expect(failure).not.toMatch(/EADDRINUSE|\n\s+at /);
      } finally {
        await starting.then((started) => started.kill()).catch(() => undefined);
        server.close();
        removeDataDir(dataDir);
      }
    },
  );
});
