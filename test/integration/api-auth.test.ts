import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../functions/local/local-auth';
import { accessBody } from '../support/bodies';
import { type ApiClient, apiClient, call } from '../support/client';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, services } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';

interface Ticket {
  id: string;
  beneficiary: string;
}

interface ErrorBody {
  error: { code: string; message: string };
}

describe('authentication and authorization through the local server', () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  /** A token like the local issuer's, signed with the server's own key unless another is given. */
  const signToken = async (options: {
    subject?: string;
    expiresAt?: number;
    issuer?: string;
    key?: 'server' | 'forged';
  }) => {
    const now = Math.floor(Date.now() / 1000);
    const jwk =
      options.key === 'forged'
        ? await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)
        : (await tollgate.secrets()).jwtPrivateKey;
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'tollgate-local-1' })
      .setSubject(options.subject ?? people.alex)
      .setIssuer(options.issuer ?? LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt(now - 7200)
      .setExpirationTime(options.expiresAt ?? now + 3600)
      .sign(await importJWK(jwk, 'ES256'));
  };

  describe('401 as the gateway answers it', () => {
    const badAuthorizations: { name: string; authorization: () => Promise<string | undefined> }[] = [
      { name: 'no token', authorization: async () => undefined },
      { name: 'a garbage token', authorization: async () => 'Bearer not.a.jwt' },
      {
        name: 'a token signed with another key',
        authorization: async () => `Bearer ${await signToken({ key: 'forged' })}`,
      },
      {
        name: 'an expired token',
        authorization: async () =>
          `Bearer ${await signToken({ expiresAt: Math.floor(Date.now() / 1000) - 60 })}`,
      },
      {
        name: 'a token from another issuer',
        authorization: async () => `Bearer ${await signToken({ issuer: 'https://evil.example.com' })}`,
      },
      {
        name: 'an unsigned token (alg none)',
        authorization: async () => {
          const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
          const exp = Math.floor(Date.now() / 1000) + 3600;
          return `Bearer ${encode({ alg: 'none' })}.${encode({ sub: people.alex, iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp })}.`;
        },
      },
      {
        name: 'a valid token under another scheme',
        authorization: async () => `Basic ${await signToken({})}`,
      },
    ];

    it.each(badAuthorizations)(
      'answers 401 Unauthorized for $name, and files nothing',
      async ({ authorization }) => {
        // Prepare
        const header = await authorization();
        const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
        const before = (await listAll(await tollgate.as(people.alex), { mine: 'true' })).ids;

        // Act
        const list = await call(tollgate.url, 'GET', '/requests', { headers });
        const file = await call(tollgate.url, 'POST', '/requests', { headers, json: accessBody() });

        // Assess
        for (const response of [list, file]) {
          expect(response.status).toBe(401);
          expect(response.body).toEqual({ message: 'Unauthorized' });
        }
        expect((await listAll(await tollgate.as(people.alex), { mine: 'true' })).ids).toEqual(before);
      },
    );

    it('accepts a token signed with the key in the data folder, so the check above can fail', async () => {
      // Prepare
      const token = await signToken({ subject: people.alex });

      // Act
      const response = await apiClient(tollgate.url, token).get('/requests');

      // Assess
      expect(response.status, response.text).toBe(200);
    });
  });

  describe('403 for callers who may not act', () => {
    it.each([
      ['suspended', people.sue],
      ['departed', people.dan],
    ])('answers 403 to a %s caller on every route, and files nothing', async (_status, identity) => {
      // Prepare
      const caller = await tollgate.as(identity);
      const auditor = await tollgate.as(people.aude);
      const before = (await listAll(auditor)).ids;

      // Act
      const responses = await Promise.all([
        caller.get<ErrorBody>('/catalog'),
        caller.get<ErrorBody>('/requests'),
        caller.get<ErrorBody>(`/directory/${encodeURIComponent(people.alex)}`),
        caller.post<ErrorBody>('/requests', accessBody()),
      ]);

      // Assess
      for (const response of responses) {
        expect(response.status, response.text).toBe(403);
        expect(response.body.error.code).toBe('forbidden');
      }
      expect((await listAll(auditor)).ids).toEqual(before);
    });

    it('answers 403 to a valid token for someone not in the directory', async () => {
      // Prepare
      const stranger = await tollgate.as('stranger@example.com');

      // Act
      const response = await stranger.get<ErrorBody>('/catalog');

      // Assess
      expect(response.status, response.text).toBe(403);
    });
  });

  describe('who may file for whom', () => {
    it.each([
      ['a peer', people.alex, people.bo],
      ['their own manager', people.alex, people.erin],
      ['a service account someone else owns', people.bo, services.billingExport],
      ['a service account their direct report owns', people.erin, services.ciDeployer],
      ["a report's report", people.dana, people.alex],
    ])('answers 403 to filing for %s, and files nothing', async (_who, callerId, beneficiary) => {
      // Prepare
      const caller = await tollgate.as(callerId);
      const auditor = await tollgate.as(people.aude);
      const before = (await listAll(auditor)).ids;

      // Act
      const response = await caller.post<ErrorBody>('/requests', accessBody({ beneficiary }));

      // Assess
      expect(response.status, response.text).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
      expect((await listAll(auditor)).ids).toEqual(before);
    });

    it.each([
      ['themselves', people.bo, people.bo],
      ['a direct report', people.erin, people.alex],
      ['a service account they own', people.felix, services.billingExport],
      ['another service account they own', people.bo, services.ciDeployer],
    ])('answers 201 to filing for %s', async (_who, callerId, beneficiary) => {
      // Prepare
      const caller = await tollgate.as(callerId);

      // Act
      const response = await caller.post<Ticket>('/requests', accessBody({ beneficiary }));

      // Assess
      expect(response.status, response.text).toBe(201);
      expect(response.body.beneficiary).toBe(beneficiary);
      await waitForTicket(caller, response.body.id, settled);
    });
  });

  describe('who may see a ticket', () => {
    let ticketId: string;

    beforeAll(async () => {
      // Alex asks for the wiki: Erin (Alex's manager) approves, Ian fulfils.
      const created = await (await tollgate.as(people.alex)).post<Ticket>('/requests', accessBody());
      if (created.status !== 201) throw new Error(`could not file the ticket: ${created.text}`);
      ticketId = created.body.id;
    });

    it.each([
      ['a peer of the requester', people.bo],
      ['someone in another department', people.felix],
      ['a manager in another department', people.fiona],
      ['someone with no tie to it at all', people.paula],
    ])('answers 404 to %s, exactly as for a ticket that does not exist', async (_who, identity) => {
      // Prepare
      const outsider = await tollgate.as(identity);

      // Act
      const response = await outsider.get<ErrorBody>(`/requests/${ticketId}`);
      const missing = await outsider.get<ErrorBody>(`/requests/${ulid()}`);
      const { ids } = await listAll(outsider);

      // Assess
      expect(response.status, response.text).toBe(404);
      expect(response.body.error.code).toBe(missing.body.error.code);
      expect(response.text).not.toContain(people.alex);
      expect(ids).not.toContain(ticketId);
    });

    it.each([
      ['its requester', people.alex],
      ['its approver', people.erin],
      ['its fulfiller', people.ian],
      ['an auditor', people.aude],
      ['a security member', people.sara],
    ])('shows the ticket to %s', async (_who, identity) => {
      // Prepare
      const viewer: ApiClient = await tollgate.as(identity);

      // Act
      const response = await viewer.get<Ticket>(`/requests/${ticketId}`);

      // Assess
      expect(response.status, response.text).toBe(200);
      expect(response.body.id).toBe(ticketId);
    });

    it("shows a ticket filed for a service account to the account's owner", async () => {
      // Prepare
      const bo = await tollgate.as(people.bo);
      const created = await bo.post<Ticket>('/requests', accessBody({ beneficiary: services.ciDeployer }));
      const erin = await tollgate.as(people.erin);

      // Act
      const asOwner = await bo.get<Ticket>(`/requests/${created.body.id}`);
      const asApprover = await erin.get<Ticket>(`/requests/${created.body.id}`);
      const asPeer = await (await tollgate.as(people.alex)).get(`/requests/${created.body.id}`);

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(asOwner.status).toBe(200);
      expect(asApprover.status).toBe(200);
      expect(asPeer.status).toBe(404);
    });
  });
});
