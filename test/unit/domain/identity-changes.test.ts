import { describe, expect, it } from 'vitest';
import type { System } from '../../../functions/domain/directory';
import {
  asksTheSame,
  closeForNobodyLeft,
  compareWithStored,
  entryToStore,
  identityChanges,
  moveStage,
  systemChanges,
  withOwnerDeparted,
} from '../../../functions/domain/identity-changes';
import { pendingApproval, replaceApprover } from '../../../functions/domain/routing';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import { openStage } from '../../../functions/domain/workflow';
import { directoryOf, person, serviceAccount } from './fixtures';
import { ticket as baseTicket, endingAt } from './tickets';

const at = '2026-01-02T00:00:00.000Z';
const chief = person('chief@x.com');
const lead = person('lead@x.com', { managerId: chief.id });
const peer = person('peer@x.com', { managerId: chief.id });
const dev = person('dev@x.com', { managerId: lead.id });
const securityA = person('sec-a@x.com', { roles: ['security'] });
const securityB = person('sec-b@x.com', { roles: ['security'] });

/** Dev's ticket, its manager stage open and asking `candidates`. */
function waitingOn(candidates: string[], stages = ['manager']): Ticket {
  const routed = baseTicket({
    approvals: stages.map((stage, index) =>
      pendingApproval({
        stage,
        candidates: index === 0 ? candidates : [],
        path: index === 0 ? candidates : [],
      }),
    ),
  });
  return openStage(routed, 0, endingAt('2026-01-04T00:00:00.000Z'), '2026-01-01T00:00:00.000Z');
}

describe('what changed in a directory entry', () => {
  it('is nothing for a new entry', () => {
    // Act
    const changes = identityChanges(undefined, dev);
    // Assess
    expect(changes).toEqual([]);
  });

  it('names a departure and a suspension of someone active, with the status before', () => {
    // Act
    const departed = identityChanges(dev, { ...dev, status: 'departed' });
    const suspended = identityChanges(dev, { ...dev, status: 'suspended' });
    // Assess
    expect(departed).toEqual([{ person: dev.id, change: 'departed', from: 'active', to: 'departed' }]);
    expect(suspended).toEqual([{ person: dev.id, change: 'suspended', from: 'active', to: 'suspended' }]);
  });

  it('names no change when someone departed is suspended, or comes back', () => {
    // Prepare
    const gone = { ...dev, status: 'departed' as const };
    // Act
    const suspended = identityChanges(gone, { ...dev, status: 'suspended' });
    const back = identityChanges(gone, dev);
    // Assess
    expect(suspended).toEqual([]);
    expect(back).toEqual([]);
  });

  it('names a manager change with both managers, beside a departure', () => {
    // Act
    const changes = identityChanges(dev, { ...dev, managerId: peer.id, status: 'departed' });
    // Assess
    expect(changes).toEqual([
      { person: dev.id, change: 'departed', from: 'active', to: 'departed' },
      { person: dev.id, change: 'manager_changed', from: lead.id, to: peer.id },
    ]);
  });

  it("names a service account's new owner", () => {
    // Prepare
    const robot = serviceAccount('svc:robot', dev.id);
    // Act
    const changes = identityChanges(robot, { ...robot, ownerId: lead.id });
    // Assess
    expect(changes).toEqual([{ person: robot.id, change: 'owner_changed', from: dev.id, to: lead.id }]);
  });

  it("names a system's new owner, and nothing else of a system", () => {
    // Prepare
    const vault: System = {
      id: 'vault',
      name: 'Vault',
      ownerId: lead.id,
      sensitivity: 'low',
      fulfilment: { mode: 'manual', fulfillers: [peer.id] },
      entitlements: [{ id: 'vault-read', name: 'Read', class: 'read', maxDuration: null, conflictsWith: [] }],
    };
    // Act
    const owner = systemChanges(vault, { ...vault, ownerId: chief.id });
    const renamed = systemChanges(vault, { ...vault, name: 'The vault' });
    // Assess
    expect(owner).toEqual([{ system: 'vault', change: 'owner_changed', from: lead.id, to: chief.id }]);
    expect(renamed).toEqual([]);
  });
});

describe("a service account's departed owner flag", () => {
  const robot = serviceAccount('svc:robot', dev.id);

  it('is kept when the account is given again with the same owner, as an import gives it', () => {
    // Act
    const stored = entryToStore(withOwnerDeparted(robot), { ...robot, title: 'Nightly job' });
    // Assess
    expect(stored).toEqual({ ...robot, title: 'Nightly job', ownerDeparted: true });
  });

  it('is cleared by a new owner', () => {
    // Act
    const stored = entryToStore(withOwnerDeparted(robot), { ...robot, ownerId: lead.id });
    // Assess
    expect(stored).not.toHaveProperty('ownerDeparted');
  });
});

describe('a loaded file against what is stored', () => {
  it('sorts entries into new, changed and as they were, a flagged account given as it was counting as unchanged', () => {
    // Prepare
    const robot = serviceAccount('svc:robot', dev.id);
    const stored = new Map([
      [dev.id, dev],
      [lead.id, lead],
      [robot.id, withOwnerDeparted(robot)],
    ]);
    // Act
    const sorted = compareWithStored([dev, { ...lead, status: 'departed' as const }, robot, peer], stored);
    // Assess
    expect(sorted.created.map((entry) => entry.id)).toEqual([peer.id]);
    expect(sorted.changed.map((entry) => entry.id)).toEqual([lead.id]);
    expect(sorted.unchanged.map((entry) => entry.id)).toEqual([dev.id, robot.id]);
  });
});

describe('an open stage moved by a change', () => {
  const departure = { person: lead.id, change: 'departed' as const, from: 'active', to: 'departed' };

  it('asks the new people, keeps its deadlines, and records one chained event naming the change', () => {
    // Prepare
    const waiting = waitingOn([lead.id]);
    // Act
    const moved = moveStage(
      waiting,
      0,
      { stage: 'manager', candidates: [chief.id], path: [lead.id, chief.id] },
      departure,
      at,
      'admin@x.com',
    );
    // Assess
    expect(moved.approvals[0]).toMatchObject({
      candidates: [chief.id],
      path: [lead.id, chief.id],
      deadline: waiting.approvals[0]?.deadline,
      reminderAt: waiting.approvals[0]?.reminderAt,
    });
    expect(moved.status).toBe('pending_approval');
    expect(moved.version).toBe(waiting.version + 1);
    expect(moved.timeline.at(-1)).toMatchObject({
      type: 'stage_moved',
      actor: 'admin@x.com',
      reason: `${lead.id} departed`,
      from: null,
      to: null,
      data: {
        person: lead.id,
        change: 'departed',
        stage: 'manager',
        index: 0,
        from: [lead.id],
        to: [chief.id],
      },
    });
    expect(findBrokenLink(moved.timeline)).toBeNull();
  });

  it('closes the ticket as auto_rejected when nobody is left, naming the change', () => {
    // Prepare
    const waiting = waitingOn([lead.id]);
    // Act
    const closed = closeForNobodyLeft(waiting, 0, departure, at);
    // Assess
    expect(closed).toMatchObject({ status: 'closed', closure: 'auto_rejected' });
    expect(closed.timeline.at(-1)).toMatchObject({
      type: 'closed',
      reason: 'no_eligible_approver',
      data: {
        person: lead.id,
        change: 'departed',
        stage: 'manager',
        from: [lead.id],
        closure: 'auto_rejected',
      },
    });
  });

  it('is told apart from an assignment that asks the same people', () => {
    // Prepare
    const waiting = waitingOn([securityA.id, securityB.id]);
    // Act
    const same = asksTheSame(waiting, 0, {
      stage: 'manager',
      candidates: [securityB.id, securityA.id],
      path: [],
    });
    const other = asksTheSame(waiting, 0, { stage: 'manager', candidates: [securityA.id], path: [] });
    // Assess
    expect(same).toBe(true);
    expect(other).toBe(false);
  });
});

describe('who takes over from an approver who left', () => {
  it('is nobody new while others asked for the stage remain', async () => {
    // Prepare
    const directory = directoryOf(chief, lead, dev, securityA, securityB);
    const waiting = waitingOn([securityA.id, securityB.id]);
    // Act
    const assignment = await replaceApprover(directory, waiting, 0, securityA.id, []);
    // Assess
    expect(assignment?.candidates).toEqual([securityB.id]);
  });

  it("is the leaver's manager, up the chain, when nobody else was asked", async () => {
    // Prepare
    const directory = directoryOf(chief, { ...lead, status: 'departed' }, dev, securityA);
    const waiting = waitingOn([lead.id]);
    // Act
    const assignment = await replaceApprover(directory, waiting, 0, lead.id, []);
    // Assess
    expect(assignment).toEqual({ stage: 'manager', candidates: [chief.id], path: [lead.id, chief.id] });
  });

  it('passes over the ticket’s parties, whoever decided another stage and anyone excluded, to the security group', async () => {
    // Prepare: the chief filed the request; the lead's peer decided an earlier stage.
    const directory = directoryOf(
      { ...chief, managerId: peer.id },
      { ...lead, status: 'suspended' },
      peer,
      dev,
      securityA,
      securityB,
    );
    const waiting = baseTicket({
      requester: chief.id,
      status: 'pending_approval',
      approvals: [
        {
          ...pendingApproval({ stage: 'security', candidates: [peer.id], path: [] }),
          decidedBy: peer.id,
          decision: 'approve',
        },
        {
          ...pendingApproval({ stage: 'manager', candidates: [lead.id], path: [lead.id] }),
          ...endingAt('2026-01-04T00:00:00.000Z'),
        },
      ],
    });
    // Act
    const assignment = await replaceApprover(directory, waiting, 1, lead.id, [securityB.id]);
    // Assess
    expect(assignment).toEqual({
      stage: 'manager',
      candidates: [securityA.id],
      path: [lead.id, chief.id, peer.id, 'role:security'],
    });
  });

  it('is nobody when the chain and the security group leave nobody eligible', async () => {
    // Prepare
    const directory = directoryOf(chief, { ...lead, status: 'departed' }, dev);
    const waiting = baseTicket({
      requester: chief.id,
      status: 'pending_approval',
      approvals: waitingOn([lead.id]).approvals,
    });
    // Act
    const assignment = await replaceApprover(directory, waiting, 0, lead.id, []);
    // Assess
    expect(assignment).toBeNull();
  });
});
