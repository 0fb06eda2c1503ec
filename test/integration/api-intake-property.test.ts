import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validBodiesByCaller } from '../support/bodies';
import type { ApiClient } from '../support/client';
import { expectedVerdict, INTAKE_KEYS, type Verdict } from '../support/intake-model';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, seedIdentities, seedSystems } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';

const statusFor: Record<Verdict, number> = { created: 201, invalid: 400, forbidden: 403 };

/** Values near the edge of what each field accepts, valid and invalid, for the mutations to use. */
const plausible: Record<(typeof INTAKE_KEYS)[number], fc.Arbitrary<unknown>> = {
  type: fc.constantFrom('access', 'support', 'Access', 'grant', ''),
  beneficiary: fc.constantFrom(
    ...seedIdentities.map((identity) => identity.id),
    people.alex.toUpperCase(),
    `  ${people.erin}  `,
    'nobody@example.com',
    'svc:nope',
    'svc:',
    'not an id',
  ),
  system: fc.constantFrom(...seedSystems.map((system) => system.id), 'mainframe', ''),
  entitlement: fc.constantFrom(
    ...seedSystems.flatMap((system) => system.entitlements.map((entitlement) => entitlement.id)),
    'root',
  ),
  justification: fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom('   short   ', 'Needed for the quarterly close', ' '.repeat(12), 'x'.repeat(2001)),
  ),
  urgency: fc.constantFrom('low', 'normal', 'high', 'critical', 'urgent', 'NORMAL', ''),
  duration: fc.constantFrom(
    'PT1H',
    'PT8H',
    'PT9H',
    'P1D',
    'P7D',
    'P8D',
    'P30D',
    'P31D',
    'P52W',
    'P53W',
    'P1M',
    'P1M1D',
    'P12M',
    'P13M',
    'P1Y',
    'P1Y1D',
    'P1M1Y',
    'P0D',
    'PT0S',
    'P',
    'PT',
    'pt1h',
    '1 day',
  ),
  evidence: fc.array(
    fc.oneof(
      fc.webUrl(),
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        'https://jira.example.com/browse/IT-1',
        'ftp://files.example.com/a',
        'javascript:alert(1)',
        'http://',
      ),
    ),
    { maxLength: 12 },
  ),
  category: fc.constantFrom('hardware', 'software', 'network', 'account', 'other', 'coffee'),
  description: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('The printer jams on every page')),
};

type Mutation = { op: 'delete'; key: string } | { op: 'set'; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Filing for someone else is where 403s come from: try other beneficiaries more often.
  {
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      key: fc.constant('beneficiary'),
      value: plausible.beneficiary,
    }),
    weight: 2,
  },
  fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...INTAKE_KEYS) }),
  fc.constantFrom(...INTAKE_KEYS).chain((key) =>
    fc.record({
      op: fc.constant('set' as const),
      key: fc.constant(key),
      value: fc.oneof(plausible[key], fc.jsonValue()),
    }),
  ),
  fc.record({
    op: fc.constant('set' as const),
    key: fc.string({ minLength: 1, maxLength: 12 }),
    value: fc.jsonValue(),
  }),
);

const callers = Object.keys(validBodiesByCaller);

/** A valid body of some caller, changed by zero to three mutations (zero keeps it valid). */
const mutatedBody = fc
  .constantFrom(...callers)
  .chain((caller) =>
    fc.record({
      caller: fc.constant(caller),
      base: fc.constantFrom(...(validBodiesByCaller[caller] ?? [])),
      mutations: fc.array(mutation, { maxLength: 3 }),
    }),
  )
  .map(({ caller, base, mutations }) => {
    const body: Record<string, unknown> = structuredClone(base);
    for (const change of mutations) {
      if (change.op === 'delete') delete body[change.key];
      else
        Object.defineProperty(body, change.key, {
          value: change.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return { caller, body };
  });

describe('POST /requests with generated bodies', () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  const storedCount = async () => (await listAll(await tollgate.as(people.aude))).ids.length;

  it('answers mutated valid bodies with 201 exactly when the spec says they are valid, storing one ticket per 201', async () => {
    // Prepare
    const clients = Object.fromEntries(
      await Promise.all(callers.map(async (id) => [id, await tollgate.as(id)] as const)),
    );
    const before = await storedCount();
    const created: { caller: string; id: string }[] = [];

    // Act
    await fc.assert(
      fc.asyncProperty(mutatedBody, async ({ caller, body }) => {
        const response = await clients[caller]?.post('/requests', body);

        // Assess
        expect(response?.status, `${caller}: ${JSON.stringify(body)} → ${response?.text}`).toBe(
          statusFor[expectedVerdict(caller, body)],
        );
        if (response?.status === 201) created.push({ caller, id: (response.body as { id: string }).id });
      }),
      { numRuns: 150 },
    );

    // Assess
    for (const { caller, id } of created) await waitForTicket(clients[caller] as ApiClient, id, settled);
    expect(created.length).toBeGreaterThan(0);
    expect(await storedCount()).toBe(before + created.length);
  });

  it('answers arbitrary JSON values with a 4xx, never a 201 or a 5xx, and stores nothing', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);
    const before = await storedCount();

    // Act
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        const response = await alex.post('/requests', undefined, { raw: JSON.stringify(body) ?? 'null' });

        // Assess
        expect(response.status, `${JSON.stringify(body)} → ${response.text}`).toBe(
          statusFor[expectedVerdict(people.alex, body)],
        );
        expect(response.status).not.toBe(201);
      }),
      { numRuns: 100 },
    );

    // Assess
    expect(await storedCount()).toBe(before);
  });

  it('answers arbitrary text sent as JSON with a 400 and never a 5xx', async () => {
    // Prepare
    const alex = await tollgate.as(people.alex);

    // Act
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        const response = await alex.post('/requests', undefined, { raw: text });

        // Assess
        expect(response.status, `${JSON.stringify(text)} → ${response.text}`).toBe(400);
      }),
      { numRuns: 50 },
    );
  });
});
