import { buildOpenApiDocument } from './openapi';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async () =>
  json(200, buildOpenApiDocument({ includeLocalOnly: false })),
);
