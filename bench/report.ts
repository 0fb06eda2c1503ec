import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from './measure';
import type { Comparison } from './scenarios';

export interface RatioResult extends Comparison {
  value: number;
  /** Whether the ratio is within its target; null when the ratio has none. */
  pass: boolean | null;
}

export interface Results {
  date: string;
  git: { commit: string; dirty: boolean };
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  scenarios: Measurement[];
  ratios: RatioResult[];
}

/** What the measured system and the bench run from (not `bench/results.*`, which every run rewrites). */
const MEASURED_PATHS = [
  'bin',
  'functions',
  'seed',
  'policies',
  'statemachines',
  'package.json',
  'package-lock.json',
  'bench/*.ts',
];

export function describeRun(repoRoot: string): Pick<Results, 'date' | 'git' | 'machine'> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  return {
    date: new Date().toISOString(),
    // Dirty: the measured code had uncommitted changes, so the commit alone does not identify it.
    git: {
      commit: git('rev-parse', 'HEAD'),
      dirty: git('status', '--porcelain', '--', ...MEASURED_PATHS) !== '',
    },
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
  };
}

export function compare(measurements: Measurement[], comparisons: Comparison[]): RatioResult[] {
  const find = (name: string) => {
    const found = measurements.find((measurement) => measurement.name === name);
    if (!found) throw new Error(`Comparison names an unknown scenario: ${name}`);
    return found;
  };
  return comparisons.map((comparison) => {
    const value =
      Math.round(
        (find(comparison.numerator)[comparison.statistic] /
          find(comparison.denominator)[comparison.statistic]) *
          100,
      ) / 100;
    return {
      ...comparison,
      value,
      pass: comparison.target === undefined ? null : value <= comparison.target,
    };
  });
}

export function ratioLabel(ratio: Comparison): string {
  return `${ratio.numerator} / ${ratio.denominator}, ${ratio.statistic}`;
}

export function verdict(ratio: RatioResult): string {
  if (ratio.pass === null) return '—';
  return `${ratio.pass ? 'pass' : 'FAIL'} (target ≤ ${ratio.target}x)`;
}

export function writeResults(benchDir: string, results: Results): void {
  writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(benchDir, 'results.md'), markdown(results));
}

function markdown(results: Results): string {
  const { machine, git } = results;
  const scenarioTable = markdownTable(
    [
      { title: 'scenario', align: 'left' },
      ...['clients', 'calls', 'p50', 'p90', 'p99', 'mean', 'max', 'calls/s'].map(
        (title): Column => ({ title, align: 'right' }),
      ),
    ],
    results.scenarios.map((s) => [
      s.name,
      s.clients,
      s.requests,
      s.p50,
      s.p90,
      s.p99,
      s.mean,
      s.max,
      s.throughput,
    ]),
  );
  const ratioTable = markdownTable(
    [
      { title: 'ratio', align: 'left' },
      { title: 'value', align: 'right' },
      { title: 'target', align: 'left' },
    ],
    results.ratios.map((r) => [ratioLabel(r), `${r.value}x`, verdict(r)]),
  );
  const labels = results.scenarios.map((s) => JSON.stringify(s.name)).join(', ');
  const top = Math.ceil(Math.max(...results.scenarios.map((s) => s.p99)) * 1.1);
  return [
    '# Bench results',
    '',
    `Measured ${results.date} at commit \`${git.commit.slice(0, 12)}\`${git.dirty ? ' (with uncommitted changes)' : ''}`,
    `on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}.`,
    'Written by `npm run bench`; `results.json` holds the same figures.',
    '',
    'Intake is `POST /requests` through the local system (`bin/local.ts`, dynalite on disk); PutItem is a',
    'bare PutItem of a copy of a stored ticket on the same store, in the same run. Latencies in ms,',
    'after a warm-up at the same concurrency; throughput in calls per second.',
    '',
    ...scenarioTable,
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Latency in ms: p99 (back bar), p50 (front bar)"',
    `  x-axis [${labels}]`,
    `  y-axis "ms" 0 --> ${top}`,
    `  bar [${results.scenarios.map((s) => s.p99).join(', ')}]`,
    `  bar [${results.scenarios.map((s) => s.p50).join(', ')}]`,
    '```',
    '',
    'Ratios (the figure that matters: intake over the store it writes to):',
    '',
    ...ratioTable,
    '',
  ].join('\n');
}

interface Column {
  title: string;
  align: 'left' | 'right';
}

/** A table padded to its widest cells, as biome formats markdown, so `npm run lint` accepts the file as written. */
function markdownTable(columns: Column[], rows: (string | number)[][]): string[] {
  const text = rows.map((row) => row.map(String));
  const sized = columns.map((column, index) => ({
    ...column,
    width: Math.max(3, column.title.length, ...text.map((row) => (row[index] ?? '').length)),
  }));
  const line = (cells: string[]) =>
    `| ${sized
      .map(({ align, width }, index) => {
        const cell = cells[index] ?? '';
        return align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')} |`;
  const rule = `| ${sized.map(({ align, width }) => (align === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(columns.map((column) => column.title)), rule, ...text.map(line)];
}
