import { createServer } from 'node:net';

/**
 * Port 0 means any free port. The handlers' settings need every service's URL before the first
 * handler runs (the workflow resumes waiting executions as soon as it starts), so free ports are
 * chosen up front.
 */
export async function resolvePort(port: number): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A port setting of `npm start`, named as the person sets it. */
export type PortSetting = 'PORT' | 'TOLLGATE_DYNAMODB_PORT' | 'TOLLGATE_SFN_PORT' | 'TOLLGATE_SES_PORT';

const DEFAULTS: Record<PortSetting, string> = {
  PORT: '3000',
  TOLLGATE_DYNAMODB_PORT: 'PORT+1',
  TOLLGATE_SFN_PORT: 'PORT+2',
  TOLLGATE_SES_PORT: 'PORT+3',
};

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly setting: PortSetting,
  ) {
    super(
      `Port ${port} is already in use by another program, so ${setting} (default ${DEFAULTS[setting]}) cannot listen there. ` +
        `Stop that program, or set ${setting} to a free port (0 picks any).`,
    );
    this.name = 'PortInUseError';
  }
}

/** Runs `listen`, turning Node's EADDRINUSE into a message that names the setting to change. */
export async function listeningOn<T>(
  setting: PortSetting,
  port: number,
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, setting);
    throw error;
  }
}
