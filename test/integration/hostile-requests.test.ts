import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { identityIdSchema } from '../../functions/domain/directory';
import { statuses } from '../../functions/domain/lifecycle';
import { GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES } from '../../functions/local/http-server';
import type { Route } from '../../functions/routes';
import { type ApiClient, call } from '../support/client';
import {
  edgyString,
  expectErrorEnvelope,
  expectGatewayUnauthorized,
  expectHeadersTooLarge,
  fillPath,
  headerText,
  hostileSegment,
  jsonRoutes,
  pathParams,
  prototypeKeys,
  sideOfGatewayLimit,
} from '../support/hostile';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';

const RUNS = 100;

/** An id of the right shape that names nothing. */
const NO_SUCH_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/**
 * Hand-written, per route (by operationId): a valid body, so that a route's answer to a random id
 * is about the id and not the body. A body route with path parameters added to the route table
 * without an entry here fails the first test below.
 */
const validBodies: Record<string, unknown> = {
  decideApproval: { decision: 'approve', comment: null },
  reassignApproval: { to: people.dana, reason: 'Dana knows this system' },
  createDelegation: {
    delegate: people.paula,
    from: new Date(Date.now() + 86_400_000).toISOString(),
    until: new Date(Date.now() + 2 * 86_400_000).toISOString(),
  },
  reportFulfilment: { result: 'done', note: null },
  addComment: { text: 'Is this still needed?' },
  giveFeedback: { rating: 4 },
  assignRequest: {},
  cancelRequest: { reason: null },
  revokeGrant: { reason: 'Hostile ids should find no grant' },
  extendGrant: { duration: 'P1D', justification: 'Hostile ids should find no grant' },
  submitRequest: {
    type: 'support',
    category: 'other',
    urgency: 'low',
    description: 'Hostile input should never file this',
  },
  putPolicies: { policies: { one: 'permit (principal, action, resource);' } },
  putDirectoryEntry: {
    id: 'hostile.fixed@example.com',
    kind: 'human',
    name: 'Nobody',
    department: 'Engineering',
    status: 'active',
  },
  putCatalogSystem: {
    id: 'hostile-fixed',
    name: 'Nothing',
    ownerId: people.ivan,
    sensitivity: 'low',
    fulfilment: { mode: 'manual', fulfillers: [people.ian] },
    entitlements: [{ id: 'nothing-read', name: 'Read', class: 'read' }],
  },
  startPolicySimulation: { policies: { one: 'permit (principal, action, resource);' } },
  startAuditExport: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', format: 'csv' },
};

/** Routes only the people who oversee policy or audit may call: their random ids are tried by an auditor. */
const OVERSIGHT_ONLY = new Set([
  'getPolicyVersion',
  'getPolicyInputs',
  'getPolicySimulation',
  'getAuditExport',
]);

/** Routes only an admin may call, without a body: their random ids are tried by an admin. */
const ADMIN_ONLY = new Set(['redriveDelivery']);

/**
 * An admin's create-or-replace routes: no id is unknown to them, so a random id is tried by an
 * admin with a valid body naming another id, and answers 400 on `id` without writing anything.
 */
const UPSERTS = new Set(['putDirectoryEntry', 'putCatalogSystem']);

/**
 * Hand-written, per route with a query schema: whether each parameter's value (as the server
 * reads it, repeats joined by commas as API Gateway joins them) is acceptable. A parameter not
 * named here is refused.
 */
const page = {
  // Read as a JavaScript number: " 7 ", "1e2" and "0x10" are numbers too.
  limit: (value: string) => Number.isInteger(Number(value)) && Number(value) >= 1 && Number(value) <= 100,
  // An empty cursor is no cursor; anything else random is not one this API signed.
  cursor: (value: string) => value === '',
};
/**
 * A model answers whether a value is acceptable (true), a 400 (false), or, for a valid value Alex
 * may not ask about, the status he gets once every parameter is valid.
 */
/** Alex's own id, which he may search by; any other valid id is a 403 to him. */
function isOwnOr403(value: string): boolean | number {
  const identity = identityIdSchema.safeParse(value);
  return identity.success && (identity.data === people.alex || 403);
}

/** An ISO 8601 date or date-time from 1970 on: the two forms a period's end takes. */
function isInstant(value: string): boolean {
  const form = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/;
  return form.test(value) && Date.parse(value) >= 0;
}

const queryModels: Record<string, Record<string, (value: string) => boolean | number>> = {
  listRequests: {
    status: (value) => (statuses as readonly string[]).includes(value),
    mine: (value) => value === 'true' || value === 'false',
    // Alex searches his own tickets; naming anyone else, or searching across people, is a 403 to him.
    requester: (value) => isOwnOr403(value),
    beneficiary: (value) => isOwnOr403(value),
    system: (value) => (value.length >= 1 && value.length <= 100 ? 403 : false),
    entitlement: (value) => (value.length >= 1 && value.length <= 100 ? 403 : false),
    from: (value) => (isInstant(value) ? 403 : false),
    to: (value) => (isInstant(value) ? 403 : false),
    // A number only finds what Alex may see anyway.
    number: (value) => /^(TG-)?[1-9][0-9]{0,14}$/.test(value),
    ...page,
  },
  listApprovals: page,
  listDelegations: page,
  listFulfilments: page,
  // Analytics are for oversight: every valid query is a 403 to Alex.
  getAnalytics: {
    from: (value) => (z.iso.date().safeParse(value).success ? 403 : false),
    to: (value) => (z.iso.date().safeParse(value).success ? 403 : false),
  },
  listAnalyticsReports: {
    limit: (value) => (page.limit(value) && Number(value) <= 20 ? 403 : false),
    before: (value) => (value.length <= 40 ? 403 : false),
  },
  // Deliveries are an admin's: every valid query is a 403 to Alex, who is refused before his cursor is read.
  listDeliveries: {
    status: (value) => (['pending', 'delivered', 'failed'].includes(value) ? 403 : false),
    limit: (value) => (page.limit(value) ? 403 : false),
    cursor: (value) => (value.length <= 2048 ? 403 : false),
  },
  listGrants: {
    // Alex reads his own grants; anyone else's are a 403 to him.
    identity: (value) => isOwnOr403(value),
    system: (value) => value.length >= 1 && value.length <= 100,
    ...page,
  },
};

const routes = jsonRoutes();
const name = (route: Route) => `${route.method} ${route.path}`;

/** The value as the server sees it: percent-decoded, or as it came when it does not decode. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The same text inside a JSON body, to leave out of the stack-trace check where the answer echoes it. */
const asInJson = (text: string) => JSON.stringify(text).slice(1, -1);

describe('hostile query strings, ids and tokens on every JSON route', () => {
  let tollgate: TestRuntime;
  let alex: ApiClient;
  let auditor: ApiClient;
  let admin: ApiClient;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    alex = await tollgate.as(people.alex);
    auditor = await tollgate.as(people.aude);
    admin = await tollgate.as(people.ivan);
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  const send = (route: Route, path: string, client: ApiClient, headers?: Record<string, string>) => {
    switch (route.method) {
      case 'GET':
        return client.get(path, { headers });
      case 'DELETE':
        return client.delete(path, { headers });
      case 'PUT':
        return client.put(path, validBodies[route.operationId] ?? {}, { headers });
      case 'POST':
        return client.post(path, validBodies[route.operationId] ?? {}, { headers });
    }
  };

  /** Runs `work` and checks that no ticket appeared meanwhile. */
  async function storesNothing(work: () => Promise<void>) {
    const before = (await listAll(auditor)).ids;
    await work();
    expect((await listAll(auditor)).ids).toEqual(before);
  }

  it('has a valid body for every body route and a query model for every route with a query schema', () => {
    // Prepare
    const bodyRoutes = routes.filter((route) => route.body !== undefined);
    const queryRoutes = routes.filter((route) => route.query !== undefined);

    // Act
    const missing = [
      ...bodyRoutes.filter((route) => !(route.operationId in validBodies)).map(name),
      ...queryRoutes.filter((route) => !(route.operationId in queryModels)).map(name),
    ];

    // Assess
    expect(queryRoutes.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  describe.each(
    routes.filter((route) => pathParams(route).length > 0).map((route) => ({ route, name: name(route) })),
  )('random ids in $name', ({ route }) => {
    it('answer 404 in the error envelope, whatever the id: Unicode, broken escapes, 6,000 characters', async () => {
      await storesNothing(async () => {
        await fc.assert(
          fc.asyncProperty(hostileSegment, async (segment) => {
            const caller = OVERSIGHT_ONLY.has(route.operationId)
              ? auditor
              : UPSERTS.has(route.operationId) || ADMIN_ONLY.has(route.operationId)
                ? admin
                : alex;
            const side = sideOfGatewayLimit(fillPath(route, segment), caller.token);
            fc.pre(side !== null);

            // Act
            const response = await send(route, fillPath(route, segment), caller);

            // Assess
            if (side === 'above') return expectHeadersTooLarge(response, fillPath(route, segment));
            const context = `${route.method} ${fillPath(route, segment).slice(0, 200)}`;
            const echoed = asInJson(decoded(segment));
            if (UPSERTS.has(route.operationId))
              expectErrorEnvelope(response, 400, context, { field: 'id', echoed });
            else expectErrorEnvelope(response, 404, context, { echoed });
          }),
          { numRuns: RUNS },
        );
      });
    });
  });

  describe.each(
    routes.filter((route) => route.method === 'GET').map((route) => ({ route, name: name(route) })),
  )('hostile query strings on $name', ({ route }) => {
    const model = route.query ? queryModels[route.operationId] : undefined;
    const key = fc.oneof(fc.constantFrom(...Object.keys(model ?? {}), ...prototypeKeys, ''), edgyString(10));
    const value = fc.oneof(
      edgyString(20),
      fc.constantFrom(
        ...statuses,
        'true',
        'false',
        'TRUE',
        '1',
        '0',
        '25',
        '100',
        '101',
        '-1',
        '1.5',
        '1e2',
        ' 7 ',
        '',
      ),
      fc.stringMatching(/^[A-Za-z0-9_-]{10,60}\.[A-Za-z0-9_-]{43}$/),
      fc.integer({ min: 2000, max: 5000 }).map((length) => 'c'.repeat(length)),
      // Past the gateway's limit on its own, as far as past Node's default 16 KiB.
      fc
        .integer({ min: GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES, max: 30_000 })
        .map((length) => 'c'.repeat(length)),
    );

    it(
      route.query
        ? "are a 400 naming the parameter unless every parameter is known and valid, and past the gateway's limit its 431"
        : "are ignored: the answer is the one without a query, and past the gateway's limit its 431",
      async () => {
        // Prepare
        const path = fillPath(route, NO_SUCH_ID);
        const baseline = await alex.get(path);
        const tried = { below: 0, above: 0 };

        await storesNothing(async () => {
          await fc.assert(
            fc.asyncProperty(
              fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 }),
              async (pairs) => {
                const query = new URLSearchParams(pairs).toString();
                // What the server reads: the query decoded again, repeats joined by commas.
                const received = new Map<string, string>();
                for (const [k, v] of new URLSearchParams(query))
                  received.set(k, received.has(k) ? `${received.get(k)},${v}` : v);

                const side = sideOfGatewayLimit(`${path}?${query}`, alex.token);
                fc.pre(side !== null);
                if (side) tried[side]++;

                // Act
                const response = await alex.get(`${path}?${query}`);

                // Assess
                const context = `${path}?${query}`.slice(0, 300);
                if (side === 'above') return expectHeadersTooLarge(response, context);
                if (!model) {
                  expect(response.status, `${context} → ${response.text.slice(0, 200)}`).toBe(
                    baseline.status,
                  );
                  return;
                }
                const answers = [...received].map(
                  ([k, v]) => [k, Object.hasOwn(model, k) ? (model[k]?.(v) ?? false) : false] as const,
                );
                const refused = answers.filter(([, answer]) => answer === false);
                if (refused.length === 0) {
                  const forbidden = answers.find(([, answer]) => typeof answer === 'number')?.[1];
                  expect(response.status, `${context} → ${response.text.slice(0, 300)}`).toBe(
                    forbidden ?? 200,
                  );
                  return;
                }
                expectErrorEnvelope(response, 400, context);
                const fields = (response.body as { error: { fields?: object } }).error.fields ?? {};
                const named = refused.some(([k]) => Object.hasOwn(fields, k === '' ? '(body)' : k));
                expect(
                  named,
                  `${context}: fields ${JSON.stringify(fields)} name none of ${refused.map(([k]) => k)}`,
                ).toBe(true);
              },
            ),
            {
              numRuns: RUNS,
              examples: [
                // Always tried: names that are special on JavaScript objects, alone.
                ...prototypeKeys.map((special) => [[[special, '1']]] as [[string, string][]]),
                // Found by an earlier run: repeated long values, past the gateway's limit together.
                [Array.from({ length: 4 }, () => ['__proto__', 'c'.repeat(4000)])] as [[string, string][]],
                // Found by an earlier run: a bad cursor beside a search Alex may not make is a 400, not a 403.
                [
                  [
                    ['cursor', 'submitted'],
                    ['system', '\u0000'],
                  ],
                ] as [[string, string][]],
              ],
            },
          );
        });
        expect(tried.below, 'queries tried below the limit').toBeGreaterThan(0);
        expect(tried.above, 'queries tried above the limit').toBeGreaterThan(0);
      },
    );
  });

  describe.each(routes.map((route) => ({ route, name: name(route) })))(
    'hostile tokens on $name',
    ({ route }) => {
      it('are the gateway 401, whatever the Authorization header holds', async () => {
        // Prepare
        const good = (await tollgate.as(people.alex)).token as string;
        const [header, payload, signature] = good.split('.') as [string, string, string];
        const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const flip = (text: string, at: number) =>
          `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
        const authorization = fc.oneof(
          fc.constant(undefined),
          headerText(),
          headerText().map((text) => `Bearer ${text.trim()}x`),
          fc
            .tuple(headerText(40), headerText(80), headerText(40))
            .map(
              (parts) => `Bearer ${parts.map((part) => Buffer.from(part).toString('base64url')).join('.')}`,
            ),
          fc.constantFrom(
            `Bearer ${b64({ alg: 'none' })}.${payload}.`,
            `Bearer ${b64({ alg: 'HS256', kid: 'tollgate-local-1' })}.${payload}.${signature}`,
            `Bearer ${header}.${b64({ sub: people.aude, iss: 'tollgate-local', aud: 'tollgate', exp: 4102444800 })}.${signature}`,
            `Bearer ${header}.${payload}.${flip(signature, 20)}`,
            `Bearer ${header}.${flip(payload, 10)}.${signature}`,
            `Bearer ${good} extra`,
            `Basic ${good}`,
            `Token ${good}`,
            good,
            'Bearer',
            'Bearer ',
          ),
        );

        await storesNothing(async () => {
          await fc.assert(
            fc.asyncProperty(authorization, async (value) => {
              // Act
              const response = await call(tollgate.url, route.method, fillPath(route, NO_SUCH_ID), {
                headers: value === undefined ? {} : { authorization: value },
                ...(route.method === 'POST' ? { json: validBodies[route.operationId] ?? {} } : {}),
              });

              // Assess
              expectGatewayUnauthorized(
                response,
                `${name(route)} with ${JSON.stringify(value)?.slice(0, 120)}`,
              );
            }),
            { numRuns: RUNS },
          );
        });
      });
    },
  );
});
