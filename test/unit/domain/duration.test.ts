import { describe, expect, it } from 'vitest';
import { addDuration, type Duration, endsAfter, parseDuration } from '../../../functions/domain/duration';
import { decideDuration, UnreadableCapError } from '../../../functions/domain/requested-duration';

const at = (iso: string) => new Date(iso);
const duration = (text: string): Duration => {
  const parsed = parseDuration(text);
  if (!parsed) throw new Error(`${text} is not a duration`);
  return parsed;
};
const ending = (from: string, text: string) => addDuration(at(from), duration(text)).toISOString();

describe('ISO 8601 durations', () => {
  it('reads calendar years and months as well as weeks, days, hours, minutes and seconds', () => {
    // Act
    const parsed = parseDuration('P1Y2M3W4DT5H6M7S');

    // Assess
    expect(parsed).toEqual({ years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 });
  });

  it('refuses empty, zero, fractional, lowercase and free-text durations', () => {
    // Act
    const parsed = ['P', 'PT', 'P0D', 'PT0S', 'P1DT', 'P1.5D', 'p1d', '30 days', 'P1M1Y', ''].map(
      parseDuration,
    );

    // Assess
    expect(parsed.every((each) => each === null)).toBe(true);
  });

  it('ends a month after 31 January on the last day of February', () => {
    // Act
    const ends = [ending('2026-01-31T09:30:00.000Z', 'P1M'), ending('2024-01-31T09:30:00.000Z', 'P1M')];

    // Assess
    expect(ends).toEqual(['2026-02-28T09:30:00.000Z', '2024-02-29T09:30:00.000Z']);
  });

  it('ends a year after 29 February on 28 February, and four years after it on 29 February again', () => {
    // Act
    const ends = [ending('2024-02-29T12:00:00.000Z', 'P1Y'), ending('2024-02-29T12:00:00.000Z', 'P4Y')];

    // Assess
    expect(ends).toEqual(['2025-02-28T12:00:00.000Z', '2028-02-29T12:00:00.000Z']);
  });

  it('counts a year as 366 days when it crosses a 29 February, and 365 otherwise', () => {
    // Act
    const days = ['2023-03-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'].map(
      (from) => (Date.parse(ending(from, 'P1Y')) - Date.parse(from)) / 86_400_000,
    );

    // Assess
    expect(days).toEqual([366, 365]);
  });

  it('adds the months first, then the days, and crosses into the next year', () => {
    // Act
    const ends = [ending('2026-01-31T00:00:00.000Z', 'P1M1D'), ending('2026-12-15T08:00:00.000Z', 'P1MT2H')];

    // Assess
    expect(ends).toEqual(['2026-03-01T00:00:00.000Z', '2027-01-15T10:00:00.000Z']);
  });

  it('keeps days at 24 hours in UTC, across the dates clocks change in Europe', () => {
    // Act
    const end = ending('2026-03-28T12:00:00.000Z', 'P2D');

    // Assess
    expect(end).toBe('2026-03-30T12:00:00.000Z');
  });

  it('compares durations by where they end from the same start: P31D outlasts P1M from February, not from January', () => {
    // Act
    const fromFebruary = endsAfter(at('2026-02-01T00:00:00.000Z'), duration('P31D'), duration('P1M'));
    const fromJanuary = endsAfter(at('2026-01-01T00:00:00.000Z'), duration('P31D'), duration('P1M'));

    // Assess
    expect([fromFebruary, fromJanuary]).toEqual([true, false]);
  });
});

describe('the duration a request runs for', () => {
  const now = at('2026-02-01T10:00:00.000Z');
  const decide = (
    requested: string | null,
    entitlement: { class: 'read' | 'write' | 'admin'; maxDuration: string | null },
    adminDefaultMax = 'P7D',
  ) =>
    decideDuration({
      requested,
      systemId: 'wiki',
      entitlement: { id: 'wiki-x', ...entitlement },
      adminDefaultMax,
      now,
    });

  it('applies a requested duration within the cap, saying so', () => {
    // Act
    const decided = decide('P1M', { class: 'write', maxDuration: 'P30D' });

    // Assess
    expect(decided).toEqual({
      basis: {
        applied: 'P1M',
        requested: 'P1M',
        cap: { max: 'P30D', from: 'entitlement' },
        reason: 'requested',
      },
    });
  });

  it('refuses a duration that ends after the cap, naming the cap', () => {
    // Act
    const decided = decide('P31D', { class: 'write', maxDuration: 'P1M' });

    // Assess
    expect(decided).toEqual({ problem: 'must be at most P1M for wiki-x' });
  });

  it('caps an admin entitlement without a maxDuration by ADMIN_DEFAULT_MAX_DURATION, naming the setting', () => {
    // Act
    const decided = decide('P8D', { class: 'admin', maxDuration: null });

    // Assess
    expect(decided).toEqual({
      problem:
        'must be at most P7D for wiki-x (ADMIN_DEFAULT_MAX_DURATION, for admin entitlements without a maximum)',
    });
  });

  it('gives an admin entitlement without a maxDuration the ADMIN_DEFAULT_MAX_DURATION when none is asked for', () => {
    // Act
    const decided = decide(null, { class: 'admin', maxDuration: null }, 'P3D');

    // Assess
    expect(decided).toEqual({
      basis: {
        applied: 'P3D',
        requested: null,
        cap: { max: 'P3D', from: 'admin_default' },
        reason: 'admin_default',
      },
    });
  });

  it('gives an admin entitlement its own maxDuration when none is asked for', () => {
    // Act
    const decided = decide(null, { class: 'admin', maxDuration: 'PT8H' });

    // Assess
    expect(decided).toEqual({
      basis: {
        applied: 'PT8H',
        requested: null,
        cap: { max: 'PT8H', from: 'entitlement' },
        reason: 'entitlement_default',
      },
    });
  });

  it('asks for a duration when another time-bound entitlement is requested without one', () => {
    // Act
    const decided = decide(null, { class: 'write', maxDuration: 'P30D' });

    // Assess
    expect(decided).toEqual({ problem: 'is required: wiki-x is time-bound (at most P30D)' });
  });

  it('grants standing access when nothing is asked and nothing caps it', () => {
    // Act
    const decided = decide(null, { class: 'read', maxDuration: null });

    // Assess
    expect(decided).toEqual({ basis: { applied: null, requested: null, cap: null, reason: 'standing' } });
  });

  it('refuses more than a calendar year: P12M is a year, P366D is more from February 2026', () => {
    // Act
    const decided = ['P12M', 'P1Y', 'P366D', 'P13M'].map((requested) =>
      'problem' in decide(requested, { class: 'read', maxDuration: null }) ? 'refused' : 'granted',
    );

    // Assess
    expect(decided).toEqual(['granted', 'granted', 'refused', 'refused']);
  });

  it('refuses to guess when the cap in the catalog cannot be read, naming the system and entitlement', () => {
    // Act
    const deciding = () => decide('P1D', { class: 'write', maxDuration: '30 days' });

    // Assess
    expect(deciding).toThrow(UnreadableCapError);
    expect(deciding).toThrow('The maxDuration "30 days" of entitlement wiki-x of system wiki');
  });
});
