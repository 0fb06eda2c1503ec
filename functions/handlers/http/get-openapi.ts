import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOpenApiDocument } from './openapi';
import { type HttpEvent, type HttpResult, json } from './route';

/** Public (auth: none): the description is the route table's, the same for every reader. */
export const handler = middy<HttpEvent, HttpResult, Error, Context>().handler(async () =>
  json(200, buildOpenApiDocument({ includeLocalOnly: false })),
);
