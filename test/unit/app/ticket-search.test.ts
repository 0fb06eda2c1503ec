import { describe, expect, it } from 'vitest';
import { assertMaySearch, matchesSearch, planSearch } from '../../../functions/app/ticket-search';
import { ForbiddenError } from '../../../functions/domain/errors';
import { statuses } from '../../../functions/domain/lifecycle';
import { person } from '../domain/fixtures';
import { ticket } from '../domain/tickets';

const alex = person('alex@x.com');
const auditor = person('aude@x.com', { roles: ['auditor'] });
const security = person('sam@x.com', { roles: ['security'] });

describe('planSearch', () => {
  it('looks a number up directly, whatever else is asked', () => {
    // Act
    const plan = planSearch({ number: 1042, system: 'github', status: 'closed' });

    // Assess
    expect(plan).toEqual({ by: 'number', number: 1042 });
  });

  it("reads the requester's partition and filters the other facts in the index", () => {
    // Act
    const plan = planSearch({
      requester: 'alex@x.com',
      beneficiary: 'bot@x.com',
      system: 'github',
      entitlement: 'github-write',
    });

    // Assess
    expect(plan).toEqual({
      by: 'index',
      query: {
        partitions: [{ by: 'requester', value: 'alex@x.com' }],
        facts: { beneficiary: 'bot@x.com', system: 'github', entitlement: 'github-write' },
      },
    });
  });

  it("reads the beneficiary's partition when no requester is named", () => {
    // Act
    const plan = planSearch({ beneficiary: 'bot@x.com', system: 'github' });

    // Assess
    expect(plan).toEqual({
      by: 'index',
      query: { partitions: [{ by: 'beneficiary', value: 'bot@x.com' }], facts: { system: 'github' } },
    });
  });

  it("checks a status on the tickets read when a person's partition is narrower", () => {
    // Act
    const plan = planSearch({ requester: 'alex@x.com', status: 'closed' });

    // Assess
    expect(plan).toEqual({
      by: 'index',
      query: { partitions: [{ by: 'requester', value: 'alex@x.com' }], facts: {}, status: 'closed' },
    });
  });

  it("reads an open status's partition before a system's, filtering the system in the index", () => {
    // Act
    const plan = planSearch({ system: 'github', status: 'pending_approval' });

    // Assess
    expect(plan).toEqual({
      by: 'index',
      query: {
        partitions: [{ by: 'status', value: 'pending_approval' }],
        facts: { system: 'github' },
        status: 'pending_approval',
      },
    });
  });

  it("reads a system's partition before a resolved status's, which holds everyone's history", () => {
    // Act
    const plan = planSearch({ system: 'github', entitlement: 'github-write', status: 'closed' });

    // Assess
    expect(plan).toEqual({
      by: 'index',
      query: {
        partitions: [{ by: 'system', value: 'github' }],
        facts: { entitlement: 'github-write' },
        status: 'closed',
      },
    });
  });

  it('reads every status partition over the period when only an entitlement and a period are asked', () => {
    // Prepare
    const from = new Date('2026-12-01T00:00:00.000Z');
    const to = new Date('2026-12-05T23:59:59.999Z');

    // Act
    const plan = planSearch({ entitlement: 'github-write', from, to });

    // Assess
    expect(plan).toEqual({
      by: 'index',
      query: {
        partitions: statuses.map((status) => ({ by: 'status', value: status })),
        facts: { entitlement: 'github-write' },
        period: { from, to },
      },
    });
  });

  it('leaves a period open at either end running from the first or to the last time a ULID holds', () => {
    // Prepare
    const from = new Date('2026-12-01T00:00:00.000Z');

    // Act
    const plan = planSearch({ requester: 'alex@x.com', from });

    // Assess
    expect(plan.by === 'index' && plan.query.period).toEqual({ from, to: new Date(2 ** 48 - 1) });
  });
});

describe('assertMaySearch', () => {
  it('lets anyone search the tickets they requested, by any filter', () => {
    // Act
    const act = () => assertMaySearch(alex, { requester: alex.id, system: 'github', from: new Date(0) }, []);

    // Assess
    expect(act).not.toThrow();
  });

  it('lets anyone search the tickets of a service account they own', () => {
    // Act
    const act = () => assertMaySearch(alex, { beneficiary: 'bot@x.com', status: 'closed' }, ['bot@x.com']);

    // Assess
    expect(act).not.toThrow();
  });

  it("refuses anyone but oversight a search of another person's tickets", () => {
    // Act
    const act = () => assertMaySearch(alex, { requester: 'blair@x.com' }, []);

    // Assess
    expect(act).toThrow(ForbiddenError);
  });

  it('refuses anyone but oversight a search across people by system, entitlement or period', () => {
    // Act
    const refusals = [{ system: 'github' }, { entitlement: 'github-write' }, { to: new Date() }].map(
      (filters) => {
        try {
          assertMaySearch(alex, filters, []);
          return null;
        } catch (error) {
          return error;
        }
      },
    );

    // Assess
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(ForbiddenError);
  });

  it('lets anyone look a number or a status up, visibility deciding what is found', () => {
    // Act
    const act = () => assertMaySearch(alex, { number: 7, status: 'closed' }, []);

    // Assess
    expect(act).not.toThrow();
  });

  it.each([auditor, security])('lets $roles search anyone by anything', (caller) => {
    // Act
    const act = () => assertMaySearch(caller, { beneficiary: 'blair@x.com', system: 'github' }, []);

    // Assess
    expect(act).not.toThrow();
  });
});

describe('matchesSearch', () => {
  // A ULID made at 2026-12-05T09:00:00.000Z.
  const filed = ticket({ id: '01M92PX0M00000000000000000', system: 'github', entitlement: 'github-write' });

  it('keeps a ticket submitted within the period, both ends included', () => {
    // Act
    const kept = matchesSearch(filed, {
      from: new Date('2026-12-05T09:00:00.000Z'),
      to: new Date('2026-12-05T09:00:00.000Z'),
    });

    // Assess
    expect(kept).toBe(true);
  });

  it('drops a ticket submitted after the period', () => {
    // Act
    const kept = matchesSearch(filed, { to: new Date('2026-12-05T08:59:59.999Z') });

    // Assess
    expect(kept).toBe(false);
  });

  it('drops a ticket whose facts or status differ from those asked', () => {
    // Act
    const kept = [
      matchesSearch(filed, { entitlement: 'github-admin' }),
      matchesSearch(filed, { status: 'closed' }),
    ];

    // Assess
    expect(kept).toEqual([false, false]);
  });
});
