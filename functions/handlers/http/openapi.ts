import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import {
  OUTBOUND_EVENT_VERSION,
  type OutboundEventType,
  outboundDataSchemas,
  outboundEventTypes,
} from '../../domain/outbound/events';
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
    webhooks: outboundWebhooks(),
  });
}

/** What a subscriber is sent (webhooks out): one signed POST per event, its body per type. */
const outboundSummaries: Record<OutboundEventType, string> = {
  'ticket.created': 'Intake wrote the ticket',
  'ticket.decided':
    'Every stage approved, a stage denied, or policy alone approved or refused the request at intake',
  'ticket.fulfilled':
    'The work was reported done: access granted, an extension applied, a support ticket resolved',
  'ticket.closed': 'The ticket closed, with its closure code',
  'grant.activated': 'The fulfilment created the grant, standing or time-bound',
  'grant.ended': 'The grant ended',
};

function outboundWebhooks() {
  const componentId = (type: string) =>
    `${type.replace(/(?:^|\.)(\w)/g, (_match, letter: string) => letter.toUpperCase())}Event`;
  return Object.fromEntries(
    outboundEventTypes.map((type) => [
      type,
      {
        post: {
          operationId: `outbound:${type}`,
          summary: outboundSummaries[type],
          description:
            "Signed per Standard Webhooks with each of the subscriber's secrets (`webhook-id` is the event id, the same on every attempt); retried with backoff for 24 hours until a 2xx",
          requestBody: {
            content: {
              'application/json': {
                schema: z
                  .object({
                    type: z.literal(type),
                    version: z.literal(OUTBOUND_EVENT_VERSION),
                    timestamp: z.string().meta({ description: 'When the change happened' }),
                    data: outboundDataSchemas[type],
                  })
                  .meta({ id: componentId(type) }),
              },
            },
          },
          responses: { 200: { description: 'Any 2xx: delivered; anything else is tried again' } },
        },
      },
    ]),
  );
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
