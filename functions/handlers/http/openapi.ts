import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { type Route, routes } from '../../routes';
import { exportRowSchema } from './schemas';

/** The OpenAPI 3.1 document, generated from the route table and the very schemas the handlers parse with. */
export function buildOpenApiDocument(options: { includeLocalOnly: boolean; serverUrl?: string }) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes.filter((candidate) => options.includeLocalOnly || !candidate.localOnly)) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Tollgate API',
      version: '1',
      description: 'Access requests as control records: intake, routing, approval, fulfilment and audit.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        session: { type: 'apiKey', in: 'cookie', name: '__Host-tollgate-session' },
      },
      // No route answers it as JSON: it is the shape of each line of an export file.
      schemas: { AuditExportRow: exportRowSchema },
    },
    paths,
  });
}

function operation(route: Route): ZodOpenApiOperationObject {
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name: name as string,
    in: 'path' as const,
    required: true,
    schema: { type: 'string' as const },
  }));
  const headerParams = Object.entries(route.headers ?? {}).map(([name, description]) => ({
    name,
    in: 'header' as const,
    required: false,
    description,
    schema: { type: 'string' as const },
  }));
  return {
    operationId: route.operationId,
    summary: route.summary,
    security: route.auth === 'jwt' ? [{ bearer: [] }] : route.auth === 'session' ? [{ session: [] }] : [],
    parameters: [...pathParams, ...headerParams],
    ...(route.query ? { requestParams: { query: route.query as never } } : {}),
    ...(route.body ? { requestBody: { content: { 'application/json': { schema: route.body } } } } : {}),
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, response]) => [
        status,
        {
          description: response?.description ?? '',
          ...(response?.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
        },
      ]),
    ),
  };
}
