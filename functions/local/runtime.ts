import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoDirectory } from '../adapters/dynamodb/directory-store';
import { routes } from '../routes';
import { lockDataFolder } from './data-lock';
import { createDevRoutes } from './dev-routes';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from './dynamodb';
import { type HttpHandler, type ServedRoute, startHttpServer } from './http-server';
import { createLocalAuth } from './local-auth';
import { loadOrCreateSecrets } from './secrets';
import { seedIfEmpty } from './seed';
import type { LocalSettings } from './settings';

export interface LocalRuntime {
  url: string;
  endpoints: { dynamodb: string };
  seeded: boolean;
  close(): Promise<void>;
}

/**
 * The whole system on one machine: the embedded store, then the same handlers that run in Lambda,
 * configured through the same environment variables, behind a local API Gateway.
 */
export async function startLocalRuntime(
  settings: LocalSettings,
  log: (line: string) => void,
): Promise<LocalRuntime> {
  const unlock = lockDataFolder(settings.dataDir);
  const closers: (() => Promise<void> | void)[] = [unlock];
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const secrets = await loadOrCreateSecrets(settings.dataDir);
    const dynamo = await startLocalDynamo({
      dataDir: settings.dataDir,
      store: settings.store,
      port: settings.dynamodbPort,
    });
    closers.unshift(dynamo.close);

    Object.assign(process.env, {
      TABLE_NAME: LOCAL_TABLE_NAME,
      CALLER_CLAIM: 'sub',
      SIGNING_SECRET: secrets.signingSecret,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? (settings.quiet ? 'ERROR' : 'INFO'),
    });

    const directory = new DynamoDirectory(createDocumentClient(), LOCAL_TABLE_NAME);
    const seeded = await seedIfEmpty(directory);
    const auth = await createLocalAuth(secrets.jwtPrivateKey);
    const devRoutes = createDevRoutes({ auth, directory });
    const served = await Promise.all(
      routes.map(
        async (route): Promise<ServedRoute> => ({
          route,
          handler: await loadHandler(route.handler, devRoutes),
        }),
      ),
    );
    const http = await startHttpServer({ port: settings.port, routes: served, auth, log });
    closers.unshift(http.close);

    return {
      url: http.url,
      endpoints: { dynamodb: dynamo.url },
      seeded,
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

async function loadHandler(reference: string, devRoutes: Record<string, HttpHandler>): Promise<HttpHandler> {
  const [module, name] = reference.split('#');
  if (module === 'local/dev-routes') {
    const handler = devRoutes[name ?? ''];
    if (!handler) throw new Error(`No local route ${reference}`);
    return handler;
  }
  const loaded = (await import(`../handlers/${module}.ts`)) as { handler?: HttpHandler };
  if (typeof loaded.handler !== 'function')
    throw new Error(`functions/handlers/${module}.ts exports no handler`);
  return loaded.handler;
}

async function closeAll(closers: (() => Promise<void> | void)[]): Promise<void> {
  for (const close of closers) await close();
}
