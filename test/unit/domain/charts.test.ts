import { describe, expect, it } from 'vitest';
import { type Chart, chartOption } from '../../../functions/domain/analytics/charts';

const byEntitlement: Chart = {
  id: 'resolution-by-entitlement',
  title: 'Time to resolution by entitlement',
  alt: 'Median hours to resolution for each entitlement',
  kind: 'hbar',
  categories: ['github-write', 'aws-prod-admin'],
  series: [
    { name: 'Median', values: [2.5, 20] },
    { name: 'p90', values: [6, null] },
  ],
  unit: 'h',
};

describe('chartOption', () => {
  it('draws horizontal bars with the categories on the y axis and one bar series per series, legend shown', () => {
    // Act
    const option = chartOption(byEntitlement);

    // Assess
    expect(option.yAxis).toMatchObject({ type: 'category', data: ['github-write', 'aws-prod-admin'] });
    expect(option.xAxis).toMatchObject({ type: 'value', name: 'h' });
    expect(option.series).toEqual([
      expect.objectContaining({ type: 'bar', name: 'Median', data: [2.5, 20] }),
      expect.objectContaining({ type: 'bar', name: 'p90', data: [6, null] }),
    ]);
    expect(option.legend).toMatchObject({ show: true });
  });

  it('draws a line over the categories on the x axis, without a legend for a single series', () => {
    // Prepare
    const byDay: Chart = {
      ...byEntitlement,
      kind: 'line',
      categories: ['2026-11-23', '2026-11-24'],
      series: [{ name: 'Submitted', values: [3, 4] }],
    };

    // Act
    const option = chartOption(byDay);

    // Assess
    expect(option.xAxis).toMatchObject({ type: 'category', data: ['2026-11-23', '2026-11-24'] });
    expect(option.series).toEqual([expect.objectContaining({ type: 'line', data: [3, 4] })]);
    expect(option.legend).toMatchObject({ show: false });
  });

  it('refuses a series with fewer values than categories', () => {
    // Prepare
    const short: Chart = { ...byEntitlement, series: [{ name: 'Median', values: [1] }] };

    // Act
    const building = () => chartOption(short);

    // Assess
    expect(building).toThrow('series "Median" has 1 values for 2 categories');
  });

  it('refuses an id that could not name an email part', () => {
    // Prepare
    const spaced: Chart = { ...byEntitlement, id: 'By Entitlement' };

    // Act
    const building = () => chartOption(spaced);

    // Assess
    expect(building).toThrow('Chart id "By Entitlement" must be lowercase letters, digits and dashes');
  });
});
