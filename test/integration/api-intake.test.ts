import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketSchema } from '../../functions/domain/ticket';
import { accessBody, specExampleBody, supportBody } from '../support/bodies';
import { chainProblems, GENESIS } from '../support/chain';
import type { ApiClient } from '../support/client';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people, services } from '../support/seed';
import { settled, waitForTicket } from '../support/tickets';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

interface TicketBody {
  id: string;
  type: string;
  status: string;
  closure: string | null;
  requester: string;
  beneficiary: string;
  system: string | null;
  entitlement: string | null;
  decision: { outcome: string; stages: string[]; policyIds: string[]; version: string } | null;
  approvals: { stage: string; candidates: string[]; decidedBy: string | null; decision: string | null }[];
  fulfilment: { queue: string | null; fulfillers: string[] } | null;
  grant: unknown;
  timeline: { seq: number; type: string; actor: string; to: string | null; prev: string; hash: string }[];
}

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

describe('POST /requests through the local server', () => {
  let tollgate: TestRuntime;
  let auditor: ApiClient;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    auditor = await tollgate.as(people.aude);
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  /** Every ticket id the caller and an auditor can list: what "nothing stored" is checked against. */
  const storedIds = async (caller: ApiClient) => ({
    mine: (await listAll(caller, { mine: 'true' })).ids.sort(),
    all: (await listAll(auditor)).ids.sort(),
  });

  describe('valid intake', () => {
    it('answers 201 with the spec ticket shape for the spec example, and reads it back', async () => {
      // Prepare
      const felix = await tollgate.as(people.felix);

      // Act
      const created = await felix.post<TicketBody>('/requests', specExampleBody);
      const readBack = await felix.get<TicketBody>(`/requests/${created.body.id}`);

      // Assess
      expect(created.status, created.text).toBe(201);
      const ticket = created.body;
      expect(ticket.id).toMatch(ULID);
      expect(created.headers.get('location')).toBe(`/requests/${ticket.id}`);
      expect(ticketSchema.safeParse(ticket).error).toBeUndefined();
      expect(ticket).toMatchObject({
        type: 'access',
        status: 'submitted',
        closure: null,
        requester: people.felix,
        beneficiary: services.billingExport,
        system: 'payroll',
        entitlement: 'payroll-read',
        justification: specExampleBody.justification,
        urgency: 'normal',
        duration: 'P30D',
        evidence: [...specExampleBody.evidence],
        grant: null,
      });
      expect(ticket.decision).toMatchObject({ outcome: 'approval_required', stages: ['manager'] });
      expect(ticket.decision?.policyIds.length).toBeGreaterThan(0);
      expect(ticket.decision?.version).toMatch(/\S/);
      // The service account's owner is Felix; the named approver is Felix's manager, never a queue.
      expect(ticket.approvals).toEqual([
        expect.objectContaining({
          stage: 'manager',
          candidates: [people.fiona],
          decidedBy: null,
          decision: null,
          at: null,
          comment: null,
          via: null,
        }),
      ]);
      expect(ticket.timeline[0]).toMatchObject({
        seq: 1,
        type: 'submitted',
        actor: people.felix,
        to: 'submitted',
        prev: GENESIS,
      });
      expect(chainProblems(ticket.timeline)).toEqual([]);
      expect(readBack.status).toBe(200);
      expect(readBack.body.id).toBe(ticket.id);
      // The workflow may have moved on since: the read-back timeline extends the one returned.
      expect(readBack.body.timeline.slice(0, ticket.timeline.length)).toEqual(ticket.timeline);
      expect(chainProblems(readBack.body.timeline)).toEqual([]);
      await waitForTicket(felix, ticket.id, settled);
    });

    it('files for oneself with the defaults: the caller as beneficiary, normal urgency, no evidence', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const created = await alex.post<TicketBody>('/requests', accessBody());

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        beneficiary: people.alex,
        urgency: 'normal',
        evidence: [],
        duration: null,
      });
      expect(created.body.approvals[0]?.candidates).toEqual([people.erin]);
      await waitForTicket(alex, created.body.id, settled);
    });

    it('makes an admin entitlement time-bound by default with its maximum duration', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const created = await alex.post<TicketBody>(
        '/requests',
        accessBody({ system: 'github', entitlement: 'github-admin' }),
      );

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({ entitlement: 'github-admin', duration: 'P7D' });
      await waitForTicket(alex, created.body.id, settled);
    });

    it('applies ADMIN_DEFAULT_MAX_DURATION to an admin entitlement without a maxDuration, and says so', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const created = await alex.post<TicketBody>('/requests', accessBody({ entitlement: 'wiki-admin' }));

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        entitlement: 'wiki-admin',
        duration: 'P7D',
        durationBasis: {
          applied: 'P7D',
          requested: null,
          cap: { max: 'P7D', from: 'admin_default' },
          reason: 'admin_default',
        },
      });
      await waitForTicket(alex, created.body.id, settled);
    });

    it('takes a duration in calendar months and answers that it was applied as requested', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const created = await alex.post<TicketBody>('/requests', accessBody({ duration: 'P1M' }));

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        duration: 'P1M',
        durationBasis: { applied: 'P1M', requested: 'P1M', cap: null, reason: 'requested' },
      });
      await waitForTicket(alex, created.body.id, settled);
    });

    it('answers 201 for a support request, routed to the queue of its category without approval', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const created = await alex.post<TicketBody>('/requests', supportBody({ category: 'network' }));
      const readBack = await alex.get<TicketBody>(`/requests/${created.body.id}`);

      // Assess
      expect(created.status, created.text).toBe(201);
      expect(created.body.id).toMatch(ULID);
      expect(ticketSchema.safeParse(created.body).error).toBeUndefined();
      expect(created.body).toMatchObject({
        type: 'support',
        status: 'submitted',
        closure: null,
        requester: people.alex,
        beneficiary: people.alex,
        category: 'network',
        urgency: 'high',
        approvals: [],
      });
      expect(created.body.fulfilment).toMatchObject({ queue: 'network-ops', fulfillers: [people.ivan] });
      expect(chainProblems(created.body.timeline)).toEqual([]);
      expect(created.body.timeline[0]?.prev).toBe(GENESIS);
      expect(readBack.status).toBe(200);
      expect(readBack.body.id).toBe(created.body.id);
      expect(chainProblems(readBack.body.timeline)).toEqual([]);
      await waitForTicket(alex, created.body.id, settled);
    });
  });

  describe('invalid intake stores nothing', () => {
    const justification = 'I need this for the quarterly close';
    const invalidBodies: {
      name: string;
      caller: string;
      body: unknown;
      fields: string[];
    }[] = [
      {
        name: 'missing required fields',
        caller: people.alex,
        body: { type: 'access' },
        fields: ['system', 'entitlement', 'justification'],
      },
      { name: 'a missing type', caller: people.alex, body: { system: 'wiki' }, fields: ['type'] },
      { name: 'an unknown type', caller: people.alex, body: accessBody({ type: 'grant' }), fields: ['type'] },
      {
        name: 'wrong types',
        caller: people.alex,
        body: accessBody({ system: 5, justification: 42, evidence: 'https://x.example' }),
        fields: ['system', 'justification', 'evidence'],
      },
      {
        name: 'a JSON array instead of an object',
        caller: people.alex,
        body: [accessBody()],
        fields: ['(body)'],
      },
      { name: 'JSON null', caller: people.alex, body: null, fields: ['(body)'] },
      {
        name: 'unknown keys',
        caller: people.alex,
        body: accessBody({ colour: 'red', approver: people.alex }),
        fields: ['colour', 'approver'],
      },
      {
        name: 'a bad urgency',
        caller: people.alex,
        body: accessBody({ urgency: 'urgent' }),
        fields: ['urgency'],
      },
      {
        name: 'a duration longer than a year',
        caller: people.alex,
        body: accessBody({ duration: 'P13M' }),
        fields: ['duration'],
      },
      {
        name: 'a duration that is not ISO 8601',
        caller: people.alex,
        body: accessBody({ duration: '30 days' }),
        fields: ['duration'],
      },
      {
        name: "a duration over the entitlement's maximum",
        caller: people.alex,
        body: accessBody({
          system: 'payroll',
          entitlement: 'payroll-write',
          duration: 'P31D',
          justification,
        }),
        fields: ['duration'],
      },
      {
        name: 'no duration for a time-bound entitlement',
        caller: people.alex,
        body: accessBody({ system: 'payroll', entitlement: 'payroll-write', justification }),
        fields: ['duration'],
      },
      {
        name: 'evidence that is not a URL',
        caller: people.alex,
        body: accessBody({ evidence: ['not a link'] }),
        fields: ['evidence.0'],
      },
      {
        name: 'a second evidence item that is not http(s)',
        caller: people.alex,
        body: accessBody({ evidence: ['https://jira.example.com/browse/IT-1', 'javascript:alert(1)'] }),
        fields: ['evidence.1'],
      },
      {
        name: 'an unknown system',
        caller: people.alex,
        body: accessBody({ system: 'mainframe', entitlement: 'mainframe-read' }),
        fields: ['system'],
      },
      {
        name: 'an entitlement of another system',
        caller: people.alex,
        body: accessBody({ system: 'wiki', entitlement: 'payroll-read' }),
        fields: ['entitlement'],
      },
      {
        name: 'a suspended beneficiary',
        caller: people.erin,
        body: accessBody({ beneficiary: people.sue }),
        fields: ['beneficiary'],
      },
      {
        name: 'a departed beneficiary',
        caller: people.fiona,
        body: accessBody({ beneficiary: people.dan }),
        fields: ['beneficiary'],
      },
      {
        name: 'a beneficiary not in the directory',
        caller: people.alex,
        body: accessBody({ beneficiary: 'nobody@example.com' }),
        fields: ['beneficiary'],
      },
      {
        name: 'a beneficiary that is not an identity id',
        caller: people.alex,
        body: accessBody({ beneficiary: 'not an id' }),
        fields: ['beneficiary'],
      },
      {
        name: 'a support request without urgency and with an unknown category',
        caller: people.alex,
        body: { type: 'support', category: 'coffee', description: 'The machine on floor 2 is broken' },
        fields: ['category', 'urgency'],
      },
      {
        name: 'a support request with a beneficiary',
        caller: people.alex,
        body: supportBody({ beneficiary: people.alex }),
        fields: ['beneficiary'],
      },
    ];

    it.each(invalidBodies)(
      'answers 400 naming each bad field for $name',
      async ({ caller, body, fields }) => {
        // Prepare
        const client = await tollgate.as(caller);
        const before = await storedIds(client);

        // Act
        const response = await client.post<ErrorBody>('/requests', body);

        // Assess
        expect(response.status, response.text).toBe(400);
        expect(response.body.error.code).toBe('invalid_request');
        expect(Object.keys(response.body.error.fields ?? {}).sort()).toEqual([...fields].sort());
        expect(await storedIds(client)).toEqual(before);
      },
    );

    it('answers 400 on duration naming the cap, whether the entitlement or ADMIN_DEFAULT_MAX_DURATION sets it', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const before = await storedIds(alex);

      // Act
      const overEntitlement = await alex.post<ErrorBody>(
        '/requests',
        accessBody({ system: 'payroll', entitlement: 'payroll-write', duration: 'P31D' }),
      );
      const overAdminDefault = await alex.post<ErrorBody>(
        '/requests',
        accessBody({ entitlement: 'wiki-admin', duration: 'P8D' }),
      );

      // Assess
      expect(overEntitlement.status, overEntitlement.text).toBe(400);
      expect(overEntitlement.body.error.fields).toEqual({
        duration: 'must be at most P30D for payroll-write',
      });
      expect(overAdminDefault.status, overAdminDefault.text).toBe(400);
      expect(overAdminDefault.body.error.fields).toEqual({
        duration:
          'must be at most P7D for wiki-admin (ADMIN_DEFAULT_MAX_DURATION, for admin entitlements without a maximum)',
      });
      expect(await storedIds(alex)).toEqual(before);
    });

    it('says what is wrong with a field of the wrong type rather than calling it missing', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.post<ErrorBody>(
        '/requests',
        accessBody({ system: 5, evidence: 'https://x.example' }),
      );

      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error.fields?.system).not.toBe('is required');
      expect(response.body.error.fields?.evidence).not.toBe('is required');
    });

    it('answers 400 for a body that is not JSON', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const before = await storedIds(alex);

      // Act
      const response = await alex.post<ErrorBody>('/requests', undefined, { raw: '{"type": "access",' });

      // Assess
      expect(response.status, response.text).toBe(400);
      expect(response.body.error.code).toMatch(/invalid/);
      expect(await storedIds(alex)).toEqual(before);
    });

    it('answers 415 for a body that is not application/json', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const before = await storedIds(alex);

      // Act
      const response = await alex.post<ErrorBody>('/requests', undefined, {
        raw: JSON.stringify(accessBody()),
        contentType: 'text/plain',
      });

      // Assess
      expect(response.status, response.text).toBe(415);
      expect(response.body.error.code).toBe('unsupported_media_type');
      expect(await storedIds(alex)).toEqual(before);
    });

    it('answers 415 for a request without a content type', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const before = await storedIds(alex);

      // Act
      const response = await alex.post<ErrorBody>('/requests', undefined, {
        raw: JSON.stringify(accessBody()),
        contentType: null,
      });

      // Assess
      expect(response.status, response.text).toBe(415);
      expect(await storedIds(alex)).toEqual(before);
    });

    it('accepts application/json with a charset parameter', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);

      // Act
      const response = await alex.post<TicketBody>('/requests', undefined, {
        raw: JSON.stringify(accessBody()),
        contentType: 'Application/JSON; charset=utf-8',
      });

      // Assess
      expect(response.status, response.text).toBe(201);
      await waitForTicket(alex, response.body.id, settled);
    });

    it('answers 413 for a body over 64 KiB, even a valid-looking one', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const before = await storedIds(alex);
      const body = JSON.stringify(accessBody({ justification: 'x'.repeat(64 * 1024) }));

      // Act
      const response = await alex.post<ErrorBody>('/requests', undefined, { raw: body });

      // Assess
      expect(response.status, response.text).toBe(413);
      expect(await storedIds(alex)).toEqual(before);
    });

    it('answers 400 with the header named for an Idempotency-Key that is not visible ASCII', async () => {
      // Prepare
      const alex = await tollgate.as(people.alex);
      const before = await storedIds(alex);

      // Act
      const response = await alex.post<ErrorBody>('/requests', accessBody(), {
        headers: { 'idempotency-key': 'two words' },
      });

      // Assess
      expect(response.status, response.text).toBe(400);
      expect(Object.keys(response.body.error.fields ?? {})).toEqual(['headers.idempotency-key']);
      expect(await storedIds(alex)).toEqual(before);
    });
  });
});
