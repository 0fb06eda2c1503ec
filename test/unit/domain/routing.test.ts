import { describe, expect, it } from 'vitest';
import type { DirectoryView, Identity, System } from '../../../functions/domain/directory';
import { resolveStage, revokersOf, routeAccessRequest } from '../../../functions/domain/routing';
import { asking, directoryOf, person, serviceAccount } from './fixtures';

const chief = person('chief@x.com');
const lead = person('lead@x.com', { managerId: chief.id });
const dev = person('dev@x.com', { managerId: lead.id });
const peer = person('peer@x.com', { managerId: lead.id });
const securityA = person('sec-a@x.com', { roles: ['security'], managerId: chief.id });
const securityB = person('sec-b@x.com', { roles: ['security'], managerId: chief.id });
const owner = person('owner@x.com', { managerId: chief.id });
const helpdesk = person('help@x.com', { managerId: lead.id });
const operator = person('ops@x.com', { managerId: chief.id });

function managerStage(
  directory: DirectoryView,
  requester: Identity,
  beneficiary: Identity,
  excluded: string[] = [],
) {
  return resolveStage(
    directory,
    'manager',
    {
      requester: requester.id,
      beneficiary: beneficiary.id,
      beneficiaryOwner: beneficiary.kind === 'service' ? beneficiary.ownerId : null,
      system: { ownerId: owner.id },
    },
    excluded,
  );
}

function system(overrides: Partial<System> = {}): System {
  return {
    id: 'vault',
    name: 'Vault',
    ownerId: owner.id,
    sensitivity: 'low',
    fulfilment: { mode: 'manual', fulfillers: [helpdesk.id, operator.id] },
    entitlements: [
      { id: 'vault-read', name: 'Read', class: 'read', maxDuration: null, conflictsWith: [] },
      { id: 'vault-admin', name: 'Admin', class: 'admin', maxDuration: 'P1D', conflictsWith: [] },
    ],
    ...overrides,
  };
}

const [readAccess, adminAccess] = system().entitlements as [
  System['entitlements'][0],
  System['entitlements'][0],
];

describe('routing of the manager stage', () => {
  it('asks the beneficiary’s manager when someone files for themselves', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA);
    // Act
    const stage = await managerStage(directory, dev, dev);
    // Assess
    expect(stage?.candidates).toEqual([lead.id]);
  });

  it('passes over a manager who files for their report, to that manager’s manager', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA);
    // Act
    const stage = await managerStage(directory, lead, dev);
    // Assess
    expect(stage?.candidates).toEqual([chief.id]);
    expect(stage?.path).toEqual([lead.id, chief.id]);
  });

  it('asks the owner’s manager for a service account, never the owner', async () => {
    // Prepare
    const robot = serviceAccount('svc:robot', dev.id);
    const directory = directoryOf(chief, lead, dev, robot, securityA);
    // Act
    const stage = await managerStage(directory, dev, robot);
    // Assess
    expect(stage?.candidates).toEqual([lead.id]);
  });

  it('skips a manager who is suspended or departed', async () => {
    // Prepare
    const absentLead = { ...lead, status: 'departed' as const };
    const directory = directoryOf(chief, absentLead, dev, securityA);
    // Act
    const stage = await managerStage(directory, dev, dev);
    // Assess
    expect(stage?.candidates).toEqual([chief.id]);
  });

  it('skips a manager who already decides another stage of the ticket', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA);
    // Act
    const stage = await managerStage(directory, dev, dev, [lead.id]);
    // Assess
    expect(stage?.candidates).toEqual([chief.id]);
  });

  it('falls back to every eligible security member when the chain runs out', async () => {
    // Prepare
    const directory = directoryOf(chief, securityA, securityB);
    // Act
    const stage = await managerStage(directory, chief, chief);
    // Assess
    expect(stage?.candidates).toEqual([securityA.id, securityB.id]);
    expect(stage?.path.at(-1)).toBe('role:security');
  });

  it('never asks a security member who is the requester', async () => {
    // Prepare
    const directory = directoryOf(securityA, securityB);
    // Act
    const stage = await managerStage(directory, securityA, securityA);
    // Assess
    expect(stage?.candidates).toEqual([securityB.id]);
  });

  it('finds nobody when nobody is eligible', async () => {
    // Prepare
    const lonely = person('lonely@x.com', { roles: ['security'] });
    const directory = directoryOf(lonely);
    // Act
    const stage = await managerStage(directory, lonely, lonely);
    // Assess
    expect(stage).toBeNull();
  });

  it('survives a cycle in the management chain', async () => {
    // Prepare
    const a = person('a@x.com', { managerId: 'b@x.com' });
    const b = person('b@x.com', { managerId: 'a@x.com' });
    const directory = directoryOf(a, b, securityA);
    // Act
    const stage = await managerStage(directory, b, a);
    // Assess
    expect(stage?.candidates).toEqual([securityA.id]);
  });
});

describe('peers', () => {
  it('are never asked for each other: a peer is not in the chain', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, peer, securityA);
    // Act
    const stage = await managerStage(directory, peer, peer);
    // Assess
    expect(stage?.candidates).not.toContain(dev.id);
  });
});

describe('the stages of an access request', () => {
  const everyone = directoryOf(chief, lead, dev, owner, helpdesk, operator, securityA, securityB);

  it('asks the manager when policy asks for the manager stage alone, and records the policy that asked', async () => {
    // Act
    const route = await routeAccessRequest(
      everyone,
      {
        requester: dev,
        beneficiary: dev,
        system: system({ sensitivity: 'critical' }),
        entitlement: readAccess,
      },
      asking('manager'),
    );
    // Assess
    expect(route.decision).toEqual({
      outcome: 'approval_required',
      stages: ['manager'],
      policyIds: ['rule-manager'],
      version: 'v-test',
      reason: null,
      askedBy: { manager: ['rule-manager'] },
      policyReasons: {},
      cap: null,
      inputs: 'inputs-hash',
    });
    expect(route.approvals).toEqual([
      expect.objectContaining({ stage: 'manager', candidates: [lead.id], decidedBy: null, deadline: null }),
    ]);
  });

  it('resolves the system owner stage when it opens, not at intake', async () => {
    // Act
    const route = await routeAccessRequest(
      everyone,
      {
        requester: dev,
        beneficiary: dev,
        system: system({ sensitivity: 'high' }),
        entitlement: adminAccess,
      },
      asking('manager', 'system_owner'),
    );
    // Assess
    expect(route.decision.stages).toEqual(['manager', 'system_owner']);
    expect(route.decision.askedBy).toEqual({
      manager: ['rule-manager'],
      system_owner: ['rule-system_owner'],
    });
    expect(route.approvals.map((approval) => [approval.stage, approval.candidates])).toEqual([
      ['manager', [lead.id]],
      ['system_owner', []],
    ]);
  });

  it('keeps the stages in the order policy asked for them', async () => {
    // Act
    const route = await routeAccessRequest(
      everyone,
      {
        requester: dev,
        beneficiary: dev,
        system: system({ sensitivity: 'critical' }),
        entitlement: adminAccess,
      },
      asking('manager', 'system_owner', 'security'),
    );
    // Assess
    expect(route.decision.stages).toEqual(['manager', 'system_owner', 'security']);
  });

  it('passes over a system’s sole fulfiller as the sole approver of a one-stage ticket', async () => {
    // Prepare: the helpdesk alone fulfils, and is the beneficiary’s manager.
    const report = person('report@x.com', { managerId: helpdesk.id });
    const directory = directoryOf(chief, lead, helpdesk, report, securityA);
    const soleFulfiller = system({ fulfilment: { mode: 'manual', fulfillers: [helpdesk.id] } });
    // Act
    const route = await routeAccessRequest(
      directory,
      {
        requester: report,
        beneficiary: report,
        system: soleFulfiller,
        entitlement: readAccess,
      },
      asking('manager'),
    );
    // Assess: the helpdesk’s manager approves, so the helpdesk can fulfil.
    expect(route.approvals[0]?.candidates).toEqual([lead.id]);
    expect(route.approvals[0]?.path).toEqual([helpdesk.id, lead.id]);
  });

  it('keeps a fulfiller as approver when another fulfiller can do the work', async () => {
    // Prepare
    const report = person('report@x.com', { managerId: helpdesk.id });
    const directory = directoryOf(chief, lead, helpdesk, operator, report, securityA);
    // Act
    const route = await routeAccessRequest(
      directory,
      {
        requester: report,
        beneficiary: report,
        system: system(),
        entitlement: readAccess,
      },
      asking('manager'),
    );
    // Assess
    expect(route.approvals[0]?.candidates).toEqual([helpdesk.id]);
  });

  it('rejects at once with no_eligible_fulfiller when the only fulfiller is the beneficiary', async () => {
    // Act
    const route = await routeAccessRequest(
      everyone,
      {
        requester: helpdesk,
        beneficiary: helpdesk,
        system: system({ fulfilment: { mode: 'manual', fulfillers: [helpdesk.id] } }),
        entitlement: readAccess,
      },
      asking('manager'),
    );
    // Assess
    expect(route.decision).toMatchObject({ outcome: 'auto_rejected', reason: 'no_eligible_fulfiller' });
    expect(route.approvals).toEqual([]);
  });

  it('does not count a fulfiller who is no longer active', async () => {
    // Prepare
    const gone = { ...operator, status: 'departed' as const };
    const directory = directoryOf(chief, lead, dev, owner, gone, securityA);
    // Act
    const route = await routeAccessRequest(
      directory,
      {
        requester: dev,
        beneficiary: dev,
        system: system({ fulfilment: { mode: 'manual', fulfillers: [gone.id] } }),
        entitlement: readAccess,
      },
      asking('manager'),
    );
    // Assess
    expect(route.decision.reason).toBe('no_eligible_fulfiller');
  });

  it('rejects at once with no_eligible_approver when a stage could go to nobody', async () => {
    // Prepare: the only security member is the one who would decide the system-owner stage.
    const securityOwner = person('owner@x.com', { managerId: chief.id, roles: ['security'] });
    const directory = directoryOf(chief, lead, dev, securityOwner, helpdesk, operator);
    // Act
    const route = await routeAccessRequest(
      directory,
      {
        requester: dev,
        beneficiary: dev,
        system: system({ sensitivity: 'critical' }),
        entitlement: adminAccess,
      },
      asking('manager', 'system_owner', 'security'),
    );
    // Assess
    expect(route.decision).toMatchObject({
      outcome: 'auto_rejected',
      stages: ['manager', 'system_owner', 'security'],
      reason: 'no_eligible_approver',
    });
  });

  it('asks the system owner’s manager when the owner is the beneficiary', async () => {
    // Act
    const stage = await resolveStage(
      everyone,
      'system_owner',
      { requester: owner.id, beneficiary: owner.id, beneficiaryOwner: null, system: { ownerId: owner.id } },
      [],
    );
    // Assess
    expect(stage?.candidates).toEqual([chief.id]);
  });

  it('asks every eligible security member for the security stage, never one who decided before', async () => {
    // Act
    const stage = await resolveStage(
      everyone,
      'security',
      { requester: dev.id, beneficiary: dev.id, beneficiaryOwner: null, system: { ownerId: owner.id } },
      [securityA.id],
    );
    // Assess
    expect(stage).toEqual({ stage: 'security', candidates: [securityB.id], path: ['role:security'] });
  });
});

describe('who removes access at the end of a grant', () => {
  const parties = (holder: Identity) => ({
    requester: holder.id,
    beneficiary: holder.id,
    beneficiaryOwner: null,
  });

  it("asks the system's fulfillers, never the holder", async () => {
    // Act
    const revokers = await revokersOf(directoryOf(helpdesk, operator, owner), system(), parties(helpdesk));

    // Assess
    expect(revokers).toEqual([operator.id]);
  });

  it("asks a webhook system's fallback fulfillers, who take over once its integration has not removed it", async () => {
    // Prepare
    const provisioned = system({
      fulfilment: {
        mode: 'webhook',
        integration: 'provisioning',
        url: 'https://provisioning.example.com/hooks',
        fallbackFulfillers: [helpdesk.id],
      },
    });

    // Act
    const revokers = await revokersOf(directoryOf(helpdesk, owner, dev), provisioned, parties(dev));

    // Assess
    expect(revokers).toEqual([helpdesk.id]);
  });

  it('asks the system owner when no fulfiller may, then security', async () => {
    // Prepare
    const directory = directoryOf(helpdesk, operator, owner, securityA);
    const ownedByHolder = system({
      ownerId: helpdesk.id,
      fulfilment: { mode: 'manual', fulfillers: [helpdesk.id] },
    });

    // Act
    const toOwner = await revokersOf(
      directory,
      system({ fulfilment: { mode: 'manual', fulfillers: [dev.id] } }),
      parties(dev),
    );
    const toSecurity = await revokersOf(directory, ownedByHolder, parties(helpdesk));

    // Assess
    expect(toOwner).toEqual([owner.id]);
    expect(toSecurity).toEqual([securityA.id]);
  });
});
