import { createHmac, timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requestExtension } from '../../app/extensions';
import { actOnLink, type LinkAction, viewLink } from '../../app/links';
import { hashLinkToken } from '../../app/workflow-steps';
import { ForbiddenError } from '../../domain/errors';
import { extensionBodySchema } from '../../domain/extension';
import { feedbackBodySchema } from '../../domain/feedback';
import { whatWasRecorded } from '../../domain/recorded';
import { parseOrThrow } from '../../domain/validation';
import { logger } from '../deps';
import { getPolicyDeps } from '../policy-deps';
import { HttpError, toErrorResponse } from './http-errors';
import { confirmationPage, extensionPage, feedbackPage, messagePage, recordedPage } from './pages';
import { type HttpEvent, type HttpResult, MAX_BODY_BYTES } from './route';

/**
 * GET (and HEAD) show the confirmation page and change nothing; only the page's own POST acts.
 * The token in the path is the credential; the form also carries a token bound to the link, and
 * cross-site posts are refused, so another site cannot submit the form. The link's own state
 * (unknown 404, expired 410, used 409) is answered before anything else.
 */
export const handler = middy<HttpEvent, HttpResult, Error, Context>().handler(async (event) => {
  const token = event.pathParameters?.token ?? '';
  try {
    // An expiry notice's link files a request, which policy decides: these deps carry Cedar.
    const deps = getPolicyDeps();
    const csrf = formToken(deps.config.signingSecret, token);
    const view = await viewLink(deps, token);
    if (event.requestContext.http.method !== 'POST') {
      if (view.kind === 'feedback') return feedbackPage(view, csrf);
      return view.kind === 'extend' ? extensionPage(view, csrf) : confirmationPage(view, csrf);
    }
    const form = readForm(event);
    assertSameSite(event, form, csrf, deps.config.publicBaseUrl);
    const ticket = await actOnLink(deps, view, actionFrom(form), async (caller, grantId, body) => {
      return (await requestExtension(deps, caller, grantId, body)).ticket;
    });
    if (view.kind === 'extend') {
      return messagePage(
        200,
        'Extension requested',
        `Your request to extend ${view.grant.id} was filed as ticket ${ticket.id}: it is decided like any request, and you are emailed how it goes.`,
      );
    }
    if (view.kind === 'feedback') {
      return messagePage(
        200,
        'Thank you',
        `Your rating of ticket ${ticket.number} was recorded. You can close this page.`,
      );
    }
    return recordedPage(view, whatWasRecorded(ticket));
  } catch (error) {
    return errorPage(error, event.requestContext.requestId);
  }
});

function formToken(secret: string, token: string): string {
  return createHmac('sha256', secret)
    .update(`form:${hashLinkToken(token)}`)
    .digest('base64url');
}

function readForm(event: HttpEvent): URLSearchParams {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
    throw new HttpError(413, 'payload_too_large', 'The form is too large.');
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpError(415, 'unsupported_media_type', 'Submit the form from its page.');
  return new URLSearchParams(raw);
}

/**
 * The page is served at PUBLIC_BASE_URL (where the emailed links point), so a browser posting its
 * form sends that origin. The Host header is no guide: CloudFront and other proxies in front of
 * the API rewrite it to the API's own name, which no browser's Origin ever names.
 */
function assertSameSite(
  event: HttpEvent,
  form: URLSearchParams,
  expected: string,
  publicBaseUrl: string,
): void {
  const site = event.headers?.['sec-fetch-site'];
  const origin = event.headers?.origin;
  const crossSite =
    (site && site !== 'same-origin' && site !== 'none') ||
    (origin && origin !== 'null' && originOf(origin) !== new URL(publicBaseUrl).origin);
  const given = Buffer.from(form.get('csrf') ?? '');
  const wanted = Buffer.from(expected);
  if (crossSite || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new ForbiddenError(
      'This form can only be submitted from its own page. Open the link from your email again.',
    );
  }
}

/** The origin an Origin header names; one that is not a URL names none, so it is not this site. */
function originOf(origin: string): string | null {
  try {
    return new URL(origin).origin;
  } catch {
    return null;
  }
}

function actionFrom(form: URLSearchParams): LinkAction {
  const comment = form.get('comment')?.trim().slice(0, 2000) || null;
  const note = form.get('note')?.trim().slice(0, 2000) || null;
  const decision = form.get('decision');
  const result = form.get('result');
  if (decision === 'approve' || decision === 'deny') return { decision, comment };
  if (result === 'done' || result === 'failed') return { result, note };
  if (form.get('confirm') === 'revoked') return { confirm: 'revoked', comment };
  if (form.get('rating') !== null) {
    const rating = form.get('rating') ?? '';
    return {
      feedback: parseOrThrow(
        feedbackBodySchema,
        {
          // A form sends text: a whole number is read as one, anything else stays text for the schema to refuse.
          rating: /^\d+$/.test(rating) ? Number(rating) : rating,
          ...(comment ? { comment } : {}),
        },
        'feedback',
      ),
    };
  }
  if (form.get('extend') !== null) {
    return {
      extend: parseOrThrow(
        extensionBodySchema,
        { duration: form.get('duration') ?? '', justification: form.get('justification') ?? '' },
        'extension',
      ),
    };
  }
  throw new HttpError(400, 'invalid_request', 'Choose one of the buttons on the page.');
}

const titles: Record<number, string> = {
  400: 'That did not work',
  403: 'Not allowed',
  404: 'Link not found',
  409: 'Already decided',
  410: 'Link expired',
  413: 'Too large',
  415: 'Wrong form',
};

/** Where a status covers more than one answer, the one whose title differs. */
const titlesByCode: Record<string, string> = {
  cancelled: 'Request cancelled',
  reassigned: 'Handed to someone else',
};

function errorPage(error: unknown, correlationId: string): HttpResult {
  const { status, body } = toErrorResponse(error, correlationId);
  if (status >= 500) logger.error('Link page failed', { correlationId, error: error as Error });
  const title = titlesByCode[body.error.code] ?? titles[status] ?? 'Something went wrong';
  // A form answered wrongly says which field, as the API's `fields` does.
  const fields = Object.entries(body.error.fields ?? {}).map(([field, problem]) => `${field}: ${problem}`);
  return messagePage(status, title, [body.error.message, ...fields].join('. '));
}
