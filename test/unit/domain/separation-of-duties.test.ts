import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Identity, System } from '../../../functions/domain/directory';
import type { StageName } from '../../../functions/domain/policy/outcome';
import { resolveStage, routeAccessRequest } from '../../../functions/domain/routing';
import type { Ticket } from '../../../functions/domain/ticket';
import {
  assertMayDecide,
  eligibleFulfillers,
  openStage,
  recordDecision,
} from '../../../functions/domain/workflow';
import { submittedTicket } from '../../support/ticket-factory';
import { asking, directoryOf, person, serviceAccount } from './fixtures';
import { endingAt, fulfilmentBy } from './tickets';

/**
 * Separation of duties over generated directories, catalogs and requests: whoever policy asks for,
 * and whoever of the candidates decides each stage, nobody approves their own ticket or one they
 * benefit from, nobody decides two stages, a sole fulfiller is never the sole approver, nobody
 * fulfils a grant to themselves, and a ticket either has eligible people for each stage when it
 * opens or is refused with a reason.
 */

const STAGE_ORDER: StageName[] = ['manager', 'system_owner', 'security'];

interface World {
  people: Identity[];
  beneficiary: Identity;
  requester: Identity;
  system: System;
  stages: StageName[];
  /** For each stage, which of its candidates decides (an index, taken modulo their number). */
  picks: number[];
}

const world: fc.Arbitrary<World> = fc.integer({ min: 3, max: 9 }).chain((size) => {
  const ids = Array.from({ length: size }, (_, n) => `p${n}@x.com`);
  const anyone = fc.constantFrom(...ids);
  return fc
    .record({
      managers: fc.array(fc.option(anyone, { nil: null }), { minLength: size, maxLength: size }),
      statuses: fc.array(fc.constantFrom('active', 'active', 'active', 'suspended', 'departed'), {
        minLength: size,
        maxLength: size,
      }),
      security: fc.array(fc.boolean(), { minLength: size, maxLength: size }),
      requester: fc.nat(size - 1),
      beneficiaryIsService: fc.boolean(),
      beneficiary: fc.nat(size - 1),
      owner: anyone,
      fulfillers: fc.uniqueArray(anyone, { minLength: 1, maxLength: 3 }),
      stages: fc.subarray(STAGE_ORDER, { minLength: 1 }),
      picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    })
    .map((drawn): World => {
      const people = ids.map((id, n) =>
        person(id, {
          managerId: drawn.managers[n] === id ? null : (drawn.managers[n] ?? null),
          status: drawn.statuses[n] as Identity['status'],
          roles: drawn.security[n] ? ['security'] : [],
        }),
      );
      // The requester is always active (intake refuses anyone else), and so is the beneficiary.
      const requester = { ...(people[drawn.requester] as Identity), status: 'active' as const };
      const human = { ...(people[drawn.beneficiary] as Identity), status: 'active' as const };
      const beneficiary = drawn.beneficiaryIsService ? serviceAccount('svc:robot', requester.id) : human;
      const everyone = people.map((each) =>
        each.id === requester.id ? requester : each.id === human.id ? human : each,
      );
      return {
        people: drawn.beneficiaryIsService ? [...everyone, beneficiary] : everyone,
        requester,
        beneficiary,
        system: {
          id: 'vault',
          name: 'Vault',
          ownerId: drawn.owner,
          sensitivity: 'critical',
          fulfilment: { mode: 'manual', fulfillers: drawn.fulfillers },
          entitlements: [
            { id: 'vault-admin', name: 'Admin', class: 'admin', maxDuration: null, conflictsWith: [] },
          ],
        },
        stages: drawn.stages,
        picks: drawn.picks,
      };
    });
});

type Walk = { refused: string } | { ticket: Ticket; deciders: string[] };

/** Routes the request at intake, then opens each stage as the workflow does and lets a candidate decide it. */
async function walk(w: World): Promise<Walk> {
  const directory = directoryOf(...w.people);
  const entitlement = w.system.entitlements[0] as System['entitlements'][0];
  const route = await routeAccessRequest(
    directory,
    { requester: w.requester, beneficiary: w.beneficiary, system: w.system, entitlement },
    asking(...w.stages),
  );
  if (route.decision.outcome === 'auto_rejected') return { refused: route.decision.reason ?? '' };
  let ticket: Ticket = submittedTicket({
    requester: w.requester.id,
    beneficiary: w.beneficiary.id,
    beneficiaryOwner: w.beneficiary.kind === 'service' ? w.beneficiary.ownerId : null,
    system: w.system.id,
    entitlement: entitlement.id,
    status: 'pending_approval',
    decision: route.decision,
    approvals: route.approvals,
    fulfilment: fulfilmentBy(w.system.fulfilment.mode === 'manual' ? w.system.fulfilment.fulfillers : []),
  });
  const at = '2026-06-01T09:00:00.000Z';
  const deadline = '2026-06-04T09:00:00.000Z';
  const deciders: string[] = [];
  for (let index = 0; index < ticket.approvals.length; index++) {
    const stage = ticket.approvals[index]?.stage as StageName;
    const assignment =
      index === 0
        ? undefined
        : await resolveStage(directory, stage, { ...ticket, system: w.system }, deciders);
    ticket = openStage(ticket, index, endingAt(deadline), at, assignment);
    if (ticket.status === 'closed') return { refused: ticket.timeline.at(-1)?.reason ?? '' };
    const candidates = ticket.approvals[index]?.candidates ?? [];
    const decider = candidates[(w.picks[index] ?? 0) % candidates.length] as string;
    // Checked again when the decision arrives: the one chosen may decide.
    assertMayDecide(ticket, index, directory.byId.get(decider) as Identity, new Date(at));
    ticket = recordDecision(ticket, index, {
      by: decider,
      decision: 'approve',
      comment: null,
      via: 'inbox',
      at,
    });
    deciders.push(decider);
  }
  return { ticket, deciders };
}

describe('separation of duties over generated directories and requests', () => {
  it('never lets a requester, beneficiary or owner approve, nor anyone decide two stages', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const result = await walk(w);
        if ('refused' in result) return;
        const parties = [
          w.requester.id,
          w.beneficiary.id,
          w.beneficiary.kind === 'service' ? w.beneficiary.ownerId : null,
        ];
        for (const decider of result.deciders) expect(parties).not.toContain(decider);
        expect(new Set(result.deciders).size).toBe(result.deciders.length);
      }),
      { numRuns: 300 },
    );
  });

  it('never leaves a sole approver to fulfil, nor anyone to fulfil a grant to themselves', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const result = await walk(w);
        if ('refused' in result) return;
        const fulfillers = eligibleFulfillers(result.ticket);
        expect(fulfillers).not.toContain(w.beneficiary.id);
        if (w.beneficiary.kind === 'service') expect(fulfillers).not.toContain(w.beneficiary.ownerId);
        if (result.deciders.length === 1) expect(fulfillers).not.toContain(result.deciders[0]);
      }),
      { numRuns: 300 },
    );
  });

  it('gives every stage eligible, active people when it opens, or refuses the ticket with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const result = await walk(w);
        if ('refused' in result) {
          expect(['no_eligible_approver', 'no_eligible_fulfiller']).toContain(result.refused);
          return;
        }
        const directory = directoryOf(...w.people);
        for (const approval of result.ticket.approvals) {
          expect(approval.candidates.length).toBeGreaterThan(0);
          for (const candidate of approval.candidates) {
            expect(directory.byId.get(candidate)?.status).toBe('active');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses at decision time anyone the rules exclude, even if they were a candidate', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const result = await walk(w);
        if ('refused' in result || result.ticket.approvals.length < 2) return;
        // Reopen the ticket before its second decision, and let the first decider try again.
        const second = {
          ...result.ticket,
          approvals: result.ticket.approvals.map((a, i) =>
            i === 1
              ? {
                  ...a,
                  decidedBy: null,
                  decision: null,
                  candidates: [...a.candidates, result.deciders[0] as string],
                }
              : a,
          ),
        };
        const first = w.people.find((each) => each.id === result.deciders[0]) as Identity;
        expect(() => assertMayDecide(second, 1, first, new Date('2026-06-01T10:00:00Z'))).toThrow(
          'One person decides at most one stage of a ticket',
        );
      }),
      { numRuns: 200 },
    );
  });
});
