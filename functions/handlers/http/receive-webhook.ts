import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { receiveWebhook } from '../../app/webhooks-in';
import { logger } from '../deps';
import { getPolicyDeps } from '../policy-deps';
import { toErrorResponse } from './http-errors';
import { type HttpEvent, type HttpResult, json, jsonBodyText, MAX_BODY_BYTES } from './route';

/**
 * POST /webhooks/{integration}: no token, the signature authenticates (app/webhooks-in.ts). A
 * refusal is logged with the integration, webhook id and reason, never the body or a secret.
 */
export const handler = middy<HttpEvent, HttpResult, Error, Context>().handler(async (event) => {
  const correlationId = event.requestContext.requestId;
  const integration = event.pathParameters?.integration ?? '';
  const webhookId = event.headers?.['webhook-id'];
  const answerOf = (error: unknown) => {
    const { status, body } = toErrorResponse(error, correlationId);
    return { status, body };
  };
  try {
    const deps = getPolicyDeps();
    const answer = await receiveWebhook(
      { ...deps, directory: deps.directoryStore, integrations: deps.config.integrations },
      { integration, headers: event.headers ?? {}, rawBody: jsonBodyText(event, MAX_BODY_BYTES) },
      answerOf,
    );
    return json(answer.status, answer.body, answer.replayed ? { 'idempotent-replayed': 'true' } : {});
  } catch (error) {
    const { status, body } = answerOf(error);
    if (status >= 500)
      logger.error('Webhook failed', { correlationId, integration, webhookId, error: error as Error });
    else
      logger.warn('Webhook refused', {
        correlationId,
        integration,
        webhookId,
        status,
        reason: body.error.message,
      });
    return json(status, body);
  }
});
