import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_SET_MAX_BYTES } from '../../functions/app/policies';
import type { Route } from '../../functions/routes';
import { accessBody } from '../support/bodies';
import { chainProblems } from '../support/chain';
import type { ApiClient, RequestOptions } from '../support/client';
import {
  edgyString,
  expectErrorEnvelope,
  headerText,
  hostileJson,
  jsonRoutes,
  jsonTypeOf,
  jsonValueNotOf,
  nestedJson,
  prototypeKeys,
  withLoneSurrogate,
} from '../support/hostile';
import { INTAKE_KEYS } from '../support/intake-model';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';
import { TollgateClient } from '../support/workflow-client';

const MAX_BODY_BYTES = 64 * 1024;
const RUNS = 100;

/**
 * Hand-written, per JSON-body route (by operationId): a valid body to change one thing at a time,
 * the JSON types each of its fields accepts, and every field the route knows. A body route added
 * to the route table without an entry here fails the first test below.
 */
interface BodyShape {
  base: Record<string, unknown>;
  fieldTypes: Record<string, readonly string[]>;
  known: readonly string[];
  /**
   * For an object field given an object of the wrong shape: the key a 400 names under it. A map's
   * first key (`a`, the default), or a tagged object's tag.
   */
  objectKey?: Record<string, string>;
  /** The body limit when not the contract's 64 KiB (policy sets: 1 MiB). */
  maxBytes?: number;
  /**
   * Where free text goes, when not in the top-level string fields: the field, how a text is placed in it
   * (as raw JSON), and the path a 400 names. A policy set's text sits in a map under `policies`.
   */
  textSlots?: { field: string; place: (textJson: string) => string; names: string }[];
}

/** A policy set's body: one policy under its id, where hostile text goes. */
const policySetShape: BodyShape = {
  base: { policies: { hostile: 'permit (principal, action, resource);' } },
  fieldTypes: { policies: ['object'] },
  known: ['policies'],
  maxBytes: POLICY_SET_MAX_BYTES,
  textSlots: [
    { field: 'policies', place: (textJson) => `{"hostile":${textJson}}`, names: 'policies.hostile' },
  ],
};

/** The text slots of a shape: its own, or each top-level field that takes a string. */
const textSlotsOf = (shape: BodyShape) =>
  shape.textSlots ??
  Object.keys(shape.fieldTypes)
    .filter((field) => shape.fieldTypes[field]?.includes('string'))
    .map((field) => ({ field, place: (textJson: string) => textJson, names: field }));

const shapes: Record<string, BodyShape> = {
  submitRequest: {
    base: accessBody(),
    fieldTypes: { type: ['string'], system: ['string'], entitlement: ['string'], justification: ['string'] },
    known: INTAKE_KEYS,
  },
  decideApproval: {
    base: { decision: 'approve', comment: 'Looks fine' },
    fieldTypes: { decision: ['string'], comment: ['string', 'null'] },
    known: ['decision', 'comment'],
  },
  putDirectoryEntry: {
    base: {
      id: people.bo,
      kind: 'human',
      name: 'Bo Developer',
      department: 'Engineering',
      title: 'Site Reliability Engineer',
      managerId: people.erin,
      ownerId: null,
      status: 'active',
      roles: [],
    },
    fieldTypes: {
      id: ['string'],
      kind: ['string'],
      name: ['string'],
      department: ['string'],
      title: ['string'],
      managerId: ['string', 'null'],
      ownerId: ['string', 'null'],
      status: ['string'],
      roles: ['array'],
    },
    known: [
      'id',
      'kind',
      'name',
      'department',
      'title',
      'managerId',
      'ownerId',
      'status',
      'roles',
      'ownerDeparted',
    ],
  },
  putCatalogSystem: {
    base: {
      id: 'wiki',
      name: 'Company wiki',
      ownerId: people.ivan,
      sensitivity: 'low',
      fulfilment: { mode: 'manual', fulfillers: [people.ian] },
      entitlements: [{ id: 'wiki-read', name: 'Read pages', class: 'read' }],
    },
    fieldTypes: {
      id: ['string'],
      name: ['string'],
      ownerId: ['string'],
      sensitivity: ['string'],
      fulfilment: ['object'],
      entitlements: ['array'],
    },
    known: ['id', 'name', 'ownerId', 'sensitivity', 'fulfilment', 'entitlements'],
    objectKey: { fulfilment: 'mode' },
  },
  reassignApproval: {
    base: { to: people.dana, reason: 'Dana knows this system' },
    fieldTypes: { to: ['string'], reason: ['string'] },
    known: ['to', 'reason'],
  },
  createDelegation: {
    base: { delegate: people.paula, from: '2026-01-05T09:00:00Z', until: '2026-01-09T17:00:00Z' },
    fieldTypes: { delegate: ['string'], from: ['string'], until: ['string'] },
    known: ['delegate', 'from', 'until'],
  },
  reportFulfilment: {
    base: { result: 'done', note: 'Added to the group' },
    fieldTypes: { result: ['string'], note: ['string', 'null'] },
    known: ['result', 'note'],
  },
  addComment: {
    base: { text: 'Which repository is this for?' },
    fieldTypes: { text: ['string'] },
    known: ['text'],
  },
  giveFeedback: {
    base: { rating: 4, comment: 'Quick and clear' },
    fieldTypes: { rating: ['number'], comment: ['string'] },
    known: ['rating', 'comment'],
  },
  assignRequest: {
    base: { to: people.ian },
    fieldTypes: { to: ['string'] },
    known: ['to'],
  },
  cancelRequest: {
    base: { reason: 'The release moved' },
    fieldTypes: { reason: ['string', 'null'] },
    known: ['reason'],
  },
  extendGrant: {
    base: { duration: 'P1D', justification: 'The migration slipped' },
    fieldTypes: { duration: ['string'], justification: ['string'] },
    known: ['duration', 'justification'],
  },
  revokeGrant: {
    base: { reason: 'The project is over' },
    fieldTypes: { reason: ['string'] },
    known: ['reason'],
  },
  putPolicies: policySetShape,
  startPolicySimulation: {
    ...policySetShape,
    fieldTypes: { policies: ['object'], from: ['string'], to: ['string'] },
    known: ['policies', 'from', 'to'],
  },
  startAuditExport: {
    base: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', format: 'jsonl' },
    fieldTypes: { from: ['string'], to: ['string'], format: ['string'] },
    known: ['from', 'to', 'format'],
  },
};

const bodyRoutes = jsonRoutes().filter((route) => route.body !== undefined);

/** A raw body sent with the route's own method. */
const send = (route: Route, caller: ApiClient, path: string, options: RequestOptions) =>
  route.method === 'PUT' ? caller.put(path, undefined, options) : caller.post(path, undefined, options);

/** A body as sent: its raw text, and what the contract says the answer is. */
interface HostileBody {
  label: string;
  raw: string;
  contentType?: string | null;
  /** The field a 400 must name in `fields`; undefined: any. */
  field?: string;
}

/** The object's JSON with `key` set to the raw JSON `valueJson` (kept as text: it may be nested 10,000 deep). */
function withRawField(base: Record<string, unknown>, key: string, valueJson: string): string {
  const { [key]: _dropped, ...rest } = base;
  const head = JSON.stringify(rest);
  return `${head.slice(0, -1)}${head === '{}' ? '' : ','}${JSON.stringify(key)}:${valueJson}}`;
}

/** JSON.stringify writes a lone surrogate as a `\\uD800`-style escape (and may pair none up wrongly). */
const hasEscapedSurrogate = (json: string) => /\\u[dD][89a-fA-F]/.test(json);

/** One changed thing each, every change making the body invalid. */
function hostileBodies(shape: BodyShape): fc.Arbitrary<HostileBody> {
  const fields = Object.keys(shape.fieldTypes);
  const notKnown = (key: string) => !shape.known.includes(key);
  return fc.oneof(
    // Not an object at all.
    hostileJson
      .filter((value) => jsonTypeOf(value) !== 'object')
      .map((value) => {
        const raw = JSON.stringify(value);
        return { label: 'not an object', raw, field: hasEscapedSurrogate(raw) ? undefined : '(body)' };
      }),
    // A field of the wrong type.
    fc.constantFrom(...fields).chain((field) =>
      jsonValueNotOf(shape.fieldTypes[field] ?? []).map((value) => ({
        label: `wrong type for ${field}`,
        raw: withRawField(shape.base, field, JSON.stringify(value)),
        field: hasEscapedSurrogate(JSON.stringify(value)) ? undefined : field,
      })),
    ),
    // A field nested up to 10,000 levels deep.
    fc
      .record({
        field: fc.constantFrom(...fields),
        depth: fc.integer({ min: 1, max: 10_000 }),
        kind: fc.constantFrom('array' as const, 'object' as const),
      })
      .map(({ field, depth: given, kind }) => {
        // A list takes an empty array, and a map of texts an object: then the first item (or the
        // first key's value) is what is wrong.
        const takesIt = shape.fieldTypes[field]?.includes(kind) ?? false;
        const depth = takesIt && kind === 'array' ? Math.max(given, 2) : given;
        return {
          label: `${field} nested ${depth} deep`,
          raw: withRawField(shape.base, field, nestedJson(depth, kind)),
          field: takesIt ? `${field}.${kind === 'array' ? 0 : (shape.objectKey?.[field] ?? 'a')}` : field,
        };
      }),
    // The whole body nested up to 10,000 levels deep.
    fc.integer({ min: 1, max: 10_000 }).map((depth) => ({
      label: `body nested ${depth} deep`,
      raw: nestedJson(depth, 'array'),
      field: '(body)',
    })),
    // A key the route does not know: prototype names, Unicode edge cases, the empty key.
    fc
      .record({
        key: fc.oneof(fc.constantFrom(...prototypeKeys, ''), edgyString(12)).filter(notKnown),
        valueJson: fc.oneof(
          hostileJson.map((value) => JSON.stringify(value)),
          fc.integer({ min: 1, max: 10_000 }).map((depth) => nestedJson(depth, 'array')),
        ),
      })
      .map(({ key, valueJson }) => {
        const loneSurrogate = /\p{Cs}/u.test(key) || hasEscapedSurrogate(valueJson);
        return {
          label: `unknown key ${JSON.stringify(key)}`,
          raw: withRawField(shape.base, key, valueJson),
          field: loneSurrogate ? undefined : key === '' ? '(body)' : key,
        };
      }),
  );
}

describe('hostile JSON bodies on every JSON-body route', () => {
  let tollgate: TestRuntime;
  let auditor: ApiClient;
  /** Per operationId: where a body goes, and as whom; the ticket it would change, if any. */
  const targets: Record<string, { path: string; caller: ApiClient; ticketId?: string }> = {};

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    auditor = await tollgate.as(people.aude);
    const client = new TollgateClient(tollgate.url);
    const alex = await tollgate.as(people.alex);
    const erin = await tollgate.as(people.erin);
    // Tickets waiting for Erin's decision (one to decide and comment on, one for Alex to cancel),
    // and one waiting for Ian's fulfilment report.
    const file = async () => {
      const created = await alex.post<{ id: string }>('/requests', accessBody());
      await client.linkFor(people.erin, created.body.id, 'Approval needed');
      const inbox = await erin.get<{ items: { id: string; ticket: { id: string } }[] }>('/approvals');
      const task = inbox.body.items.find((item) => item.ticket.id === created.body.id);
      return { ticketId: created.body.id, taskId: task?.id ?? '' };
    };
    const [waiting, fulfilling, toCancel] = [await file(), await file(), await file()];
    await erin.post(`/approvals/${fulfilling.taskId}/decision`, { decision: 'approve' });
    await client.linkFor(people.ian, fulfilling.ticketId, 'To fulfil');
    targets.submitRequest = { path: '/requests', caller: alex };
    targets.decideApproval = {
      path: `/approvals/${waiting.taskId}/decision`,
      caller: erin,
      ticketId: waiting.ticketId,
    };
    targets.reassignApproval = {
      path: `/approvals/${waiting.taskId}/reassign`,
      caller: erin,
      ticketId: waiting.ticketId,
    };
    targets.createDelegation = { path: '/delegations', caller: alex };
    targets.addComment = {
      path: `/requests/${waiting.ticketId}/comments`,
      caller: alex,
      ticketId: waiting.ticketId,
    };
    // Not resolved yet, so even a valid rating would change nothing: every hostile one is a 400 first.
    targets.giveFeedback = {
      path: `/requests/${waiting.ticketId}/feedback`,
      caller: alex,
      ticketId: waiting.ticketId,
    };
    // A support ticket in the service desk's queue, which Ian serves.
    const support = await alex.post<{ id: string }>('/requests', {
      type: 'support',
      category: 'hardware',
      urgency: 'normal',
      description: 'The laptop does not start',
    });
    await client.linkFor(people.ian, support.body.id, 'To fulfil');
    targets.assignRequest = {
      path: `/requests/${support.body.id}/assign`,
      caller: await tollgate.as(people.ian),
      ticketId: support.body.id,
    };
    targets.cancelRequest = {
      path: `/requests/${toCancel.ticketId}/cancel`,
      caller: alex,
      ticketId: toCancel.ticketId,
    };
    // The grant fulfilment would make: every hostile body is refused before the grant is looked up.
    targets.revokeGrant = {
      path: `/grants/G${fulfilling.ticketId}/revoke`,
      caller: alex,
      ticketId: fulfilling.ticketId,
    };
    targets.extendGrant = {
      path: `/grants/G${fulfilling.ticketId}/extend`,
      caller: alex,
      ticketId: fulfilling.ticketId,
    };
    targets.putPolicies = { path: '/policies', caller: await tollgate.as(people.ivan) };
    targets.putDirectoryEntry = { path: `/directory/${people.bo}`, caller: await tollgate.as(people.ivan) };
    targets.putCatalogSystem = { path: '/catalog/systems/wiki', caller: await tollgate.as(people.ivan) };
    targets.startPolicySimulation = { path: '/policies/simulations', caller: auditor };
    targets.startAuditExport = { path: '/audit/exports', caller: auditor };
    targets.reportFulfilment = {
      path: `/requests/${fulfilling.ticketId}/fulfilment`,
      caller: await tollgate.as(people.ian),
      ticketId: fulfilling.ticketId,
    };
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  const storedTickets = async () => (await listAll(auditor)).ids;

  /** Runs `property` against one route and checks that neither a ticket appeared nor the target changed. */
  async function withoutEffect(route: Route, property: (target: (typeof targets)[string]) => Promise<void>) {
    const target = targets[route.operationId];
    if (!target) throw new Error(`no target for ${route.operationId}`);
    const before = await storedTickets();
    const ticketBefore = target.ticketId ? await auditor.get(`/requests/${target.ticketId}`) : undefined;
    await property(target);
    expect(await storedTickets()).toEqual(before);
    if (target.ticketId)
      expect((await auditor.get(`/requests/${target.ticketId}`)).body).toEqual(ticketBefore?.body);
  }

  it('knows the body shape and a target of every JSON-body route in the route table', () => {
    // Prepare
    const names = bodyRoutes.map((route) => route.operationId);

    // Act
    const missing = names.filter((name) => !shapes[name] || !targets[name]);

    // Assess
    expect(names.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  describe.each(bodyRoutes.map((route) => ({ route, name: `${route.method} ${route.path}` })))(
    '$name',
    ({ route }) => {
      const shape = () => shapes[route.operationId] as BodyShape;

      it('answers wrong types, deep nesting, unknown and prototype keys and non-objects with a 400 naming the field, and changes nothing', async () => {
        await withoutEffect(route, async ({ path, caller }) => {
          await fc.assert(
            fc.asyncProperty(hostileBodies(shape()), async (body) => {
              // Act
              const response = await send(route, caller, path, { raw: body.raw });

              // Assess
              expectErrorEnvelope(response, 400, `${body.label}: ${body.raw.slice(0, 200)}`, {
                field: body.field,
              });
            }),
            { numRuns: RUNS },
          );
        });
      });

      it('answers text with a lone surrogate, in a value or in a key, with a 400 naming where it is, and changes nothing', async () => {
        const slots = textSlotsOf(shape());
        await withoutEffect(route, async ({ path, caller }) => {
          await fc.assert(
            fc.asyncProperty(
              fc.oneof(
                fc.record({
                  slot: fc.constantFrom(...slots),
                  text: withLoneSurrogate,
                  key: fc.constant(null),
                }),
                fc.record({ slot: fc.constant(null), text: fc.constant('x'), key: withLoneSurrogate }),
              ),
              async ({ slot, text, key }) => {
                // Prepare
                const field = slot?.field ?? (key as string);
                const raw = withRawField(
                  shape().base,
                  field,
                  slot ? slot.place(JSON.stringify(text)) : '"x"',
                );

                // Act
                const response = await send(route, caller, path, { raw });

                // Assess
                expectErrorEnvelope(response, 400, raw, { field: slot?.names ?? field });
              },
            ),
            { numRuns: RUNS },
          );
        });
      });

      it('answers bodies around its limit (64 KiB, a policy set 1 MiB) with a 400 up to it and a 413 past it', async () => {
        const limit = shape().maxBytes ?? MAX_BODY_BYTES;
        await withoutEffect(route, async ({ path, caller }) => {
          await fc.assert(
            fc.asyncProperty(
              fc.record({
                slot: fc.constantFrom(...textSlotsOf(shape())),
                // Not whitespace: the free-text fields are trimmed, and 64 KiB of blanks is an empty comment.
                unit: fc.constantFrom('x', 'é', '\u202e', '😀', '\u0000'),
                bytes: fc.integer({ min: limit - 1500, max: limit + 1500 }),
              }),
              async ({ slot, unit, bytes }) => {
                // Prepare: a string of about `bytes` bytes in one field.
                const unitBytes = Buffer.byteLength(JSON.stringify(unit)) - 2;
                const text = JSON.stringify(unit.repeat(Math.ceil(bytes / unitBytes)));
                const raw = withRawField(shape().base, slot.field, slot.place(text));
                const size = Buffer.byteLength(raw);

                // Act
                const response = await send(route, caller, path, { raw });

                // Assess
                if (size > limit) expectErrorEnvelope(response, 413, `${size} bytes`);
                else expectErrorEnvelope(response, 400, `${size} bytes`, { field: slot.names });
              },
            ),
            { numRuns: RUNS },
          );
        });
      });

      it('answers any media type but application/json, or none, with a 415', async () => {
        await withoutEffect(route, async ({ path, caller }) => {
          await fc.assert(
            fc.asyncProperty(
              fc.oneof(
                fc.constantFrom(
                  'text/plain',
                  'text/json',
                  'application/x-www-form-urlencoded',
                  'multipart/form-data; boundary=x',
                  'application/jsonp',
                  'application/json-patch+json',
                  'application/problem+json',
                  'application/json,text/plain',
                  'application/octet-stream',
                  'application/json; charset=utf-8',
                  'APPLICATION/JSON',
                  ' application/json ; q=1',
                  '',
                  null,
                ),
                headerText(),
              ),
              async (contentType) => {
                // Prepare: the body names a field the route does not know, so it is a 400 once read as JSON.
                const raw = withRawField(shape().base, 'hostile', '1');
                const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();

                // Act
                const response = await send(route, caller, path, {
                  // Without a content type, fetch labels a string text/plain: send bytes instead.
                  raw: contentType === null ? Buffer.from(raw) : raw,
                  contentType,
                });

                // Assess
                if (mediaType === 'application/json')
                  expectErrorEnvelope(response, 400, `${contentType}`, { field: 'hostile' });
                else expectErrorEnvelope(response, 415, `${JSON.stringify(contentType)}`);
              },
            ),
            { numRuns: RUNS },
          );
        });
      });

      it('answers a body over 10 MiB with the gateway 413', async () => {
        await withoutEffect(route, async ({ path, caller }) => {
          // Prepare
          const raw = withRawField(
            shape().base,
            Object.keys(shape().fieldTypes)[0] as string,
            JSON.stringify('x'.repeat(11 * 1024 * 1024)),
          );

          // Act
          const response = await send(route, caller, path, { raw });

          // Assess
          expect(response.status).toBe(413);
        });
      });
    },
  );

  it('files a request whose justification holds NUL, RTL marks, emoji or line separators, and stores the text exactly', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const client = new TollgateClient(tollgate.url);

    await fc.assert(
      fc.asyncProperty(
        edgyString(40).filter((text) => !/\p{Cs}/u.test(text)),
        async (text) => {
          const justification = `Needed for ${text} the release`;

          // Act
          const created = await alex.post<{ id: string; justification: string }>(
            '/requests',
            accessBody({ justification }),
          );

          // Assess
          expect(created.status, created.text).toBe(201);
          const stored = await waitForTicket<{
            id: string;
            status: string;
            justification: string;
            timeline: never[];
          }>(alex, created.body.id, settled);
          expect(stored.justification).toBe(justification.trim());
          expect(stored.status).toBe('pending_approval');
          expect(chainProblems(stored.timeline)).toEqual([]);
          // The approver's email, with the text in it, was written.
          await client.linkFor(people.erin, created.body.id, 'Approval needed');
        },
      ),
      { numRuns: 25 },
    );
  });
});
