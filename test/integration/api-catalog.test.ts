import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundEventTypes } from '../../functions/domain/outbound/events';
import { deployedRoutes, routes } from '../../functions/routes';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, seedIdentity, seedSystems, services } from '../support/seed';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
}

describe('the reference routes through the local server', () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  describe('GET /openapi.json', () => {
    it('is a valid OpenAPI 3.1 document', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.get<OpenApiDocument>('/openapi.json');
      const result = await validate(structuredClone(response.body) as never);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body.openapi).toMatch(/^3\.1\./);
      expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    });

    it('answers without a token, since an API description is public', async () => {
      // Prepare
      const nobody = tollgate.anonymous;

      // Act
      const response = await nobody.get<OpenApiDocument>('/openapi.json');

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body.paths['/openapi.json']?.get?.security).toEqual([]);
    });

    it('lists every route of the route table that the stack deploys, and no local-only route', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const { body } = await alex.get<OpenApiDocument>('/openapi.json');

      // Assess
      const listed = Object.entries(body.paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(
          ([method, operation]) => `${method.toUpperCase()} ${path} ${operation.operationId}`,
        ),
      );
      const deployed = deployedRoutes().map((route) => `${route.method} ${route.path} ${route.operationId}`);
      expect(listed.sort()).toEqual(deployed.sort());
      expect(routes.some((route) => route.localOnly)).toBe(true);
      expect(Object.keys(body.paths).some((path) => path.startsWith('/dev'))).toBe(false);
    });

    it('describes, as its webhooks, each outbound event a subscriber is sent, with its payload', async () => {
      // Prepare
      const nobody = tollgate.anonymous;

      // Act
      const { body } = await nobody.get<OpenApiDocument & { webhooks: Record<string, { post: unknown }> }>(
        '/openapi.json',
      );

      // Assess
      expect(Object.keys(body.webhooks).sort()).toEqual([...outboundEventTypes].sort());
      expect(body.webhooks['grant.ended']?.post).toMatchObject({
        requestBody: {
          content: { 'application/json': { schema: { $ref: '#/components/schemas/GrantEndedEvent' } } },
        },
      });
    });

    it('marks the bearer-token and console-session routes as secured, and only those', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const { body } = await alex.get<OpenApiDocument>('/openapi.json');

      // Assess
      for (const route of deployedRoutes()) {
        const operation = body.paths[route.path]?.[route.method.toLowerCase()];
        expect(operation?.security?.length ?? 0, `${route.method} ${route.path}`).toBe(
          // A signed webhook route is no more a bearer-token route than a link page: its signature is its own.
          route.auth === 'jwt' || route.auth === 'session' ? 1 : 0,
        );
      }
    });
  });

  describe('GET /catalog', () => {
    it('answers the spec shape: systems with their entitlements, and nothing about fulfilment', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const expected = seedSystems.map((system) => ({
        id: system.id,
        name: system.name,
        ownerId: system.ownerId,
        sensitivity: system.sensitivity,
        entitlements: system.entitlements.map((entitlement) => ({
          id: entitlement.id,
          name: entitlement.name,
          class: entitlement.class,
          maxDuration: entitlement.maxDuration ?? null,
        })),
      }));

      // Act
      const response = await alex.get<{ systems: { id: string }[] }>('/catalog');

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(Object.keys(response.body)).toEqual(['systems']);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect([...response.body.systems].sort(byId)).toEqual([...expected].sort(byId));
      expect(response.text).not.toContain('provisioning.example.com');
    });
  });

  describe('GET /directory/{id}', () => {
    it('answers a person with their department, manager and roles', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const seeded = seedIdentity(people.sam);

      // Act
      const response = await alex.get(`/directory/${encodeURIComponent(people.sam)}`);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body).toEqual({
        id: people.sam,
        kind: 'human',
        name: seeded.name,
        department: 'Security',
        title: expect.any(String),
        managerId: people.dana,
        ownerId: null,
        status: 'active',
        roles: ['security'],
      });
    });

    it.each([
      ['URL-encoded', encodeURIComponent(services.billingExport)],
      ['as typed', services.billingExport],
    ])('answers a service account named %s, with its owner', async (_how, segment) => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.get(`/directory/${segment}`);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({
        id: services.billingExport,
        kind: 'service',
        ownerId: people.felix,
        status: 'active',
      });
    });

    it('finds an identity whatever the case of the id asked for', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.get(`/directory/${encodeURIComponent(people.erin.toUpperCase())}`);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({ id: people.erin });
    });

    it('shows a suspended identity as suspended', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.get(`/directory/${encodeURIComponent(people.sue)}`);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({ id: people.sue, status: 'suspended' });
    });

    it('answers 404 in the error envelope for an identity that does not exist', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.get<{ error: { code: string } }>(
        `/directory/${encodeURIComponent('nobody@example.com')}`,
      );

      // Assess
      expect(response.status, response.text).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    });
  });
});
