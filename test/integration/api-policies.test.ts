import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrokenLink, type TimelineEvent } from '../../functions/domain/timeline';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { countItemsWithSortKey, partitionItems } from '../support/table';
import { waitForTicket } from '../support/tickets';
import { eventually } from '../support/workflow-client';

interface Ticket {
  id: string;
  status: string;
  closure: string | null;
  decision: {
    outcome: string;
    stages: string[];
    policyIds: string[];
    version: string;
    reason: string | null;
    askedBy: Record<string, string[]>;
    inputs: string;
  };
  approvals: { stage: string; candidates: string[] }[];
  timeline: { type: string; reason: string | null; data: Record<string, unknown> }[];
  [key: string]: unknown;
}

interface PolicySet {
  version: string;
  policies: Record<string, string>;
  live: boolean;
  baseline: boolean;
  createdBy: string | null;
}

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

const legacyLedger = 'svc:legacy-ledger';

describe('policy decides, through the local server', () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  const file = async (requester: string, body: Record<string, unknown>) => {
    const response = await (await tollgate.as(requester)).post<Ticket>('/requests', {
      type: 'access',
      justification: 'Needed for the quarterly close this month',
      ...body,
    });
    expect(response.status, response.text).toBe(201);
    return response.body;
  };
  const settledTicket = async (as: string, id: string) =>
    waitForTicket<Ticket>(await tollgate.as(as), id, (ticket) => ticket.status !== 'submitted');
  const approveAsManager = async (manager: string, ticketId: string) => {
    const client = await tollgate.as(manager);
    // The inbox lists the task once the workflow has asked the manager.
    const task = await eventually(async () => {
      const inbox = await client.get<{ items: { id: string; ticket: { id: string } }[] }>('/approvals');
      return inbox.body.items.find((item) => item.ticket.id === ticketId);
    });
    const decided = await client.post(`/approvals/${task.id}/decision`, { decision: 'approve' });
    expect(decided.status, decided.text).toBe(200);
  };

  describe('the demo set', () => {
    it('auto-approves low-risk read access for someone in the system owner’s department, naming the policy', async () => {
      // Act: Ivan (IT) asks for the wiki, whose owner is in IT
      const filed = await file(people.ivan, { system: 'wiki', entitlement: 'wiki-read' });
      const ticket = await settledTicket(people.ivan, filed.id);
      // Assess
      expect(ticket.decision).toMatchObject({
        outcome: 'auto_approved',
        policyIds: ['low-risk-read-same-department'],
        reason: expect.stringContaining("system owner's department"),
      });
      expect(ticket.status).toBe('fulfilling');
      expect(ticket.approvals).toEqual([]);
    });

    it('asks the manager, the system owner and security, in that order, for admin on a critical system', async () => {
      // Act
      const filed = await file(people.alex, { system: 'aws-prod', entitlement: 'aws-prod-admin' });
      const ticket = await settledTicket(people.alex, filed.id);
      // Assess
      expect(ticket.decision.stages).toEqual(['manager', 'system_owner', 'security']);
      expect(ticket.decision.askedBy).toEqual({
        manager: ['manager-approval'],
        system_owner: ['high-admin-system-owner'],
        security: ['critical-admin-security'],
      });
      expect(ticket.approvals[0]?.candidates).toEqual([people.erin]);
    });

    it('auto-rejects a service account whose owner has departed, with the reason', async () => {
      // Act: Fiona files for the ledger account of Dan, her departed report
      const filed = await file(people.fiona, {
        beneficiary: legacyLedger,
        system: 'payroll',
        entitlement: 'payroll-read',
      });
      const ticket = await waitForTicket<Ticket>(
        await tollgate.as(people.fiona),
        filed.id,
        (current) => current.status === 'closed',
      );
      // Assess
      expect(ticket.closure).toBe('auto_rejected');
      expect(ticket.decision).toMatchObject({
        outcome: 'auto_rejected',
        policyIds: ['service-account-owner-inactive'],
        reason: expect.stringContaining('owner has departed or is suspended'),
      });
      expect(ticket.timeline.at(-1)?.reason).toBe(ticket.decision.reason);
    });

    it('refuses a toxic combination at intake: payroll-write while payroll-approve is approved', async () => {
      // Prepare: Felix's payroll-approve is approved by Fiona and waits for its fulfiller
      const approve = await file(people.felix, {
        system: 'payroll',
        entitlement: 'payroll-approve',
        duration: 'P7D',
      });
      await settledTicket(people.felix, approve.id);
      await approveAsManager(people.fiona, approve.id);
      await waitForTicket<Ticket>(
        await tollgate.as(people.felix),
        approve.id,
        (t) => t.status === 'fulfilling',
      );
      // Act
      const write = await file(people.felix, {
        system: 'payroll',
        entitlement: 'payroll-write',
        duration: 'P7D',
      });
      // Assess
      expect(write.decision).toMatchObject({ outcome: 'auto_rejected', policyIds: ['toxic-combination'] });
    });

    it('refuses a toxic combination again before fulfilment, when it arose while the ticket waited', async () => {
      // Prepare: Bo asks for payroll-write, then for payroll-approve; both wait for their managers
      const write = await file(people.bo, {
        system: 'payroll',
        entitlement: 'payroll-write',
        duration: 'P7D',
      });
      const approve = await file(people.bo, {
        system: 'payroll',
        entitlement: 'payroll-approve',
        duration: 'P7D',
      });
      expect(approve.decision.outcome).toBe('approval_required');
      await settledTicket(people.bo, write.id);
      await settledTicket(people.bo, approve.id);
      await approveAsManager(people.erin, approve.id);
      await waitForTicket<Ticket>(await tollgate.as(people.bo), approve.id, (t) => t.status === 'fulfilling');
      // Act: the first one is approved now
      await approveAsManager(people.erin, write.id);
      const closed = await waitForTicket<Ticket>(
        await tollgate.as(people.bo),
        write.id,
        (t) => t.status === 'closed',
      );
      // Assess
      expect(closed.closure).toBe('auto_rejected');
      const last = closed.timeline.at(-1);
      expect(last?.data).toMatchObject({ check: 'before_fulfilment', policyIds: ['toxic-combination'] });
      expect(last?.reason).toContain('conflicts with access');
    });
  });

  describe('the live set', () => {
    it('is readable by oversight roles, with its version as the ETag, and by nobody else', async () => {
      // Act
      const asAuditor = await (await tollgate.as(people.aude)).get<PolicySet>('/policies');
      const asRequester = await (await tollgate.as(people.alex)).get<ErrorBody>('/policies');
      // Assess
      expect(asAuditor.status).toBe(200);
      expect(asAuditor.headers.get('etag')).toBe(`"${asAuditor.body.version}"`);
      expect(asAuditor.body).toMatchObject({ live: true, baseline: true });
      expect(Object.keys(asAuditor.body.policies)).toContain('manager-approval');
      expect(asRequester.status).toBe(403);
    });

    it('refuses an invalid set at PUT with the policy, the line and Cedar’s message, and keeps the live one', async () => {
      // Prepare
      const admin = await tollgate.as(people.ivan);
      const live = await admin.get<PolicySet>('/policies');
      const broken = {
        ...live.body.policies,
        'typo-in-attribute': `@id("typo-in-attribute")\npermit (principal, action == Tollgate::Action::"autoApprove", resource)\nwhen { resource.klass == "read" };`,
      };
      // Act
      const response = await admin.put<ErrorBody>(
        '/policies',
        { policies: broken },
        { headers: { 'if-match': `"${live.body.version}"` } },
      );
      // Assess
      expect(response.status).toBe(400);
      expect(response.body.error.fields?.['policies.typo-in-attribute']).toMatch(/^line 3: .*klass/);
      expect((await admin.get<PolicySet>('/policies')).body.version).toBe(live.body.version);
    });

    it('asks for If-Match and refuses a stale one, and refuses anyone but an admin', async () => {
      // Prepare
      const admin = await tollgate.as(people.ivan);
      const live = await admin.get<PolicySet>('/policies');
      const body = { policies: live.body.policies };
      // Act
      const withoutIfMatch = await admin.put<ErrorBody>('/policies', body);
      const stale = await admin.put<ErrorBody>('/policies', body, { headers: { 'if-match': '"0000"' } });
      const asAuditor = await (await tollgate.as(people.aude)).put<ErrorBody>('/policies', body, {
        headers: { 'if-match': `"${live.body.version}"` },
      });
      // Assess
      expect(withoutIfMatch.status).toBe(400);
      expect(withoutIfMatch.body.error.fields).toHaveProperty(['headers.if-match']);
      expect(stale.status).toBe(409);
      expect(asAuditor.status).toBe(403);
    });

    it('replaces the set: the next request is decided by it, the old version stays readable, and the change is audited; a refused request keeps no snapshot', async () => {
      // Prepare: a rule that caps GitHub's organisation owner at two hours
      const admin = await tollgate.as(people.ivan);
      const before = await admin.get<PolicySet>('/policies');
      const policies = {
        ...before.body.policies,
        'github-admin-short': `@id("github-admin-short")\n@reason("organisation owners are short-lived")\n@maxDuration("PT2H")\npermit (principal, action == Tollgate::Action::"requireManager", resource == Tollgate::Entitlement::"github-admin");`,
      };
      // Act
      const put = await admin.put<PolicySet>(
        '/policies',
        { policies },
        { headers: { 'if-match': `"${before.body.version}"` } },
      );
      const snapshotsBefore = await countItemsWithSortKey(tollgate.runtime.endpoints.dynamodb, 'SNAPSHOT');
      const tooLong = await (await tollgate.as(people.alex)).post<ErrorBody>('/requests', {
        type: 'access',
        system: 'github',
        entitlement: 'github-admin',
        justification: 'Rotate the organisation webhooks',
        duration: 'P1D',
      });
      // Assess
      expect(put.status, put.text).toBe(200);
      expect(put.body).toMatchObject({ live: true, baseline: false, createdBy: people.ivan });
      expect(put.body.version).not.toBe(before.body.version);
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.error.fields?.duration).toBe(
        'must be at most PT2H for github-admin (policy github-admin-short)',
      );
      expect(await countItemsWithSortKey(tollgate.runtime.endpoints.dynamodb, 'SNAPSHOT')).toBe(
        snapshotsBefore,
      );
      const old = await admin.get<PolicySet>(`/policies/${before.body.version}`);
      expect(old.body).toMatchObject({ live: false, baseline: true });
      const [pointer] = await partitionItems(tollgate.runtime.endpoints.dynamodb, 'POLICIES', 'LIVE');
      const history = pointer?.history as TimelineEvent<string>[];
      expect(history.at(-1)).toMatchObject({
        type: 'policies_changed',
        actor: people.ivan,
        data: { from: before.body.version, to: put.body.version },
      });
      expect(findBrokenLink(history)).toBeNull();
    });
  });

  describe('the inputs of a decision', () => {
    it('are kept by their hash for auditors, and hidden from the requester', async () => {
      // Prepare
      const ticket = await file(people.alex, { system: 'github', entitlement: 'github-write' });
      // Act
      const asAuditor = await (await tollgate.as(people.aude)).get<{
        inputs: { principal: { id: string }; context: Record<string, unknown> };
      }>(`/policies/inputs/${ticket.decision.inputs}`);
      const asRequester = await (await tollgate.as(people.alex)).get(
        `/policies/inputs/${ticket.decision.inputs}`,
      );
      // Assess
      expect(asAuditor.status).toBe(200);
      expect(asAuditor.body.inputs.principal.id).toBe(people.alex);
      expect(asAuditor.body.inputs.context).toMatchObject({ urgency: 'normal', evidenceCount: 0 });
      expect(asRequester.status).toBe(403);
    });
  });
});
