import { describe, expect, it } from 'vitest';
import { NoEligibleApproverError } from '../../../functions/domain/errors';
import { decisionFor, FIRST_STAGE_RULE, resolveManagerStage } from '../../../functions/domain/routing';
import { directoryOf, person, serviceAccount } from './fixtures';

const chief = person('chief@x.com');
const lead = person('lead@x.com', { managerId: chief.id });
const dev = person('dev@x.com', { managerId: lead.id });
const peer = person('peer@x.com', { managerId: lead.id });
const securityA = person('sec-a@x.com', { roles: ['security'], managerId: chief.id });
const securityB = person('sec-b@x.com', { roles: ['security'], managerId: chief.id });

describe('routing of the manager stage', () => {
  it('asks the beneficiary’s manager when someone files for themselves', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: dev, beneficiary: dev });
    // Assess
    expect(stage.candidates).toEqual([lead.id]);
  });

  it('passes over a manager who files for their report, to that manager’s manager', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: lead, beneficiary: dev });
    // Assess
    expect(stage.candidates).toEqual([chief.id]);
    expect(stage.path).toEqual([lead.id, chief.id]);
  });

  it('asks the owner’s manager for a service account, never the owner', async () => {
    // Prepare
    const robot = serviceAccount('svc:robot', dev.id);
    const directory = directoryOf(chief, lead, dev, robot, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: dev, beneficiary: robot });
    // Assess
    expect(stage.candidates).toEqual([lead.id]);
  });

  it('skips a manager who is suspended or departed', async () => {
    // Prepare
    const absentLead = { ...lead, status: 'departed' as const };
    const directory = directoryOf(chief, absentLead, dev, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: dev, beneficiary: dev });
    // Assess
    expect(stage.candidates).toEqual([chief.id]);
  });

  it('skips a manager who already decides another stage of the ticket', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: dev, beneficiary: dev }, [lead.id]);
    // Assess
    expect(stage.candidates).toEqual([chief.id]);
  });

  it('falls back to every eligible security member when the chain runs out', async () => {
    // Prepare
    const directory = directoryOf(chief, securityA, securityB);
    // Act
    const stage = await resolveManagerStage(directory, { requester: chief, beneficiary: chief });
    // Assess
    expect(stage.candidates).toEqual([securityA.id, securityB.id]);
    expect(stage.path.at(-1)).toBe('role:security');
  });

  it('never asks a security member who is the requester', async () => {
    // Prepare
    const directory = directoryOf(securityA, securityB);
    // Act
    const stage = await resolveManagerStage(directory, { requester: securityA, beneficiary: securityA });
    // Assess
    expect(stage.candidates).toEqual([securityB.id]);
  });

  it('refuses to route when nobody is eligible', async () => {
    // Prepare
    const lonely = person('lonely@x.com', { roles: ['security'] });
    const directory = directoryOf(lonely);
    // Act
    const attempt = resolveManagerStage(directory, { requester: lonely, beneficiary: lonely });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NoEligibleApproverError);
  });

  it('survives a cycle in the management chain', async () => {
    // Prepare
    const a = person('a@x.com', { managerId: 'b@x.com' });
    const b = person('b@x.com', { managerId: 'a@x.com' });
    const directory = directoryOf(a, b, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: b, beneficiary: a });
    // Assess
    expect(stage.candidates).toEqual([securityA.id]);
  });

  it('records the routing rule’s id and version as the decision', () => {
    // Act
    const { decision, approvals } = decisionFor({ stage: 'manager', candidates: [lead.id], path: [lead.id] });
    // Assess
    expect(decision).toMatchObject({
      outcome: 'approval_required',
      stages: ['manager'],
      policyIds: [FIRST_STAGE_RULE.id],
    });
    expect(decision.version).toBe(FIRST_STAGE_RULE.version);
    expect(approvals).toEqual([
      expect.objectContaining({ stage: 'manager', candidates: [lead.id], decidedBy: null }),
    ]);
  });
});

describe('peers', () => {
  it('are never asked for each other: a peer is not in the chain', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, peer, securityA);
    // Act
    const stage = await resolveManagerStage(directory, { requester: peer, beneficiary: peer });
    // Assess
    expect(stage.candidates).not.toContain(dev.id);
  });
});
