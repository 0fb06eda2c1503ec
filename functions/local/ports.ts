import { createServer, type Server, type ServerOptions } from 'node:http';

/**
 * An HTTP server listening from the moment the runtime starts, its request handler attached once
 * the service behind it is ready. The handlers' settings need every service's URL before the first
 * handler runs (the workflow resumes waiting executions as soon as it starts), so the port must be
 * known early; holding it from then on (rather than probing a free one and listening later) keeps
 * another process from taking a port 0 picked meanwhile.
 */
export async function openHttpPort(
  setting: PortSetting,
  port: number,
  options: ServerOptions = {},
): Promise<{ server: Server; port: number }> {
  const server = createServer(options);
  await listeningOn(
    setting,
    port,
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
  );
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

/** A port setting of `npm start`, named as the person sets it. */
export type PortSetting =
  | 'PORT'
  | 'TOLLGATE_DYNAMODB_PORT'
  | 'TOLLGATE_SFN_PORT'
  | 'TOLLGATE_SES_PORT'
  | 'TOLLGATE_SCHEDULER_PORT'
  | 'TOLLGATE_S3_PORT'
  | 'TOLLGATE_OIDC_PORT'
  | 'TOLLGATE_SECRETS_PORT'
  | 'TOLLGATE_LAMBDA_PORT';

const DEFAULTS: Record<PortSetting, string> = {
  PORT: '3000',
  TOLLGATE_DYNAMODB_PORT: 'PORT+1',
  TOLLGATE_SFN_PORT: 'PORT+2',
  TOLLGATE_SES_PORT: 'PORT+3',
  TOLLGATE_SCHEDULER_PORT: 'PORT+4',
  TOLLGATE_S3_PORT: 'PORT+5',
  TOLLGATE_OIDC_PORT: 'PORT+8',
  TOLLGATE_SECRETS_PORT: 'PORT+6',
  TOLLGATE_LAMBDA_PORT: 'PORT+7',
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
