import { performance } from 'node:perf_hooks';
import type { Progress } from './progress';
import type { Operation } from './scenarios';

export interface Measurement {
  name: string;
  clients: number;
  warmup: number;
  requests: number;
  /** Latencies in milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  /** Completed measured calls per second of wall time. */
  throughput: number;
}

/**
 * Runs `warmup + requests` calls of the operation from `clients` concurrent loops, each taking the
 * next call number as soon as its previous call returned (a closed loop, as real clients behave).
 * Warm-up calls run at the same concurrency so connections, JIT and caches are warm when timing starts.
 */
export async function measure(
  scenario: { name: string; clients: number },
  operation: Operation,
  counts: { warmup: number; requests: number },
  progress: Progress,
): Promise<Measurement> {
  const total = counts.warmup + counts.requests;
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let measuredStart = 0;

  const client = async (clientNumber: number) => {
    while (next < total) {
      const index = next++;
      if (index === counts.warmup) measuredStart = performance.now();
      const start = performance.now();
      await operation(clientNumber, index);
      if (index >= counts.warmup) latencies.push(performance.now() - start);
      done++;
      progress.update(scenario.name, done, total, done <= counts.warmup ? 'warm-up' : 'measuring');
    }
  };
  await Promise.all(Array.from({ length: scenario.clients }, (_, n) => client(n)));
  const seconds = (performance.now() - measuredStart) / 1000;
  progress.finish(`${scenario.name}: ${counts.requests} calls`);
  return summarize(scenario, counts, latencies, seconds);
}

/**
 * Several operations measured together, in one closed loop of `clients` concurrent loops taking the
 * next call of one schedule: each operation `counts` times, in an order shuffled from a fixed seed
 * (the warm-up first, shuffled alike). So each runs beside the others, under the same load and on
 * the same store; whatever drifts during the run (the machine's other work, the store's growth)
 * hits them alike; and each follows each of the others as often (in a fixed rotation, with one
 * client, an operation always following one that starts a workflow would always pay for that
 * workflow's steps). Each one's throughput is its share of the calls over the whole measured time.
 */
export async function measureInterleaved(
  operations: { name: string; operation: Operation }[],
  clients: number,
  counts: { warmup: number; requests: number },
  progress: Progress,
  label: string,
): Promise<Measurement[]> {
  const each = (times: number) =>
    shuffled(
      Array.from({ length: times * operations.length }, (_, n) => n % operations.length),
      SCHEDULE_SEED + times,
    );
  const schedule = [...each(counts.warmup), ...each(counts.requests)];
  const warmup = counts.warmup * operations.length;
  const total = schedule.length;
  const latencies = operations.map((): number[] => []);
  const calls = operations.map(() => 0);
  let next = 0;
  let done = 0;
  let measuredStart = 0;

  const client = async (clientNumber: number) => {
    while (next < total) {
      const index = next++;
      if (index === warmup) measuredStart = performance.now();
      const which = schedule[index] ?? 0;
      const call = calls[which] ?? 0;
      calls[which] = call + 1;
      const start = performance.now();
      await operations[which]?.operation(clientNumber, call);
      if (index >= warmup) latencies[which]?.push(performance.now() - start);
      done++;
      progress.update(label, done, total, done <= warmup ? 'warm-up' : 'measuring');
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
  const seconds = (performance.now() - measuredStart) / 1000;
  progress.finish(`${label}: ${total - warmup} calls`);
  return operations.map(({ name }, which) =>
    summarize({ name, clients }, counts, latencies[which] ?? [], seconds),
  );
}

/** The interleaved schedules' seed: every run measures the same order. */
const SCHEDULE_SEED = 5;

/** A Fisher-Yates shuffle driven by mulberry32 from `seed`: the same order for the same seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

function summarize(
  scenario: { name: string; clients: number },
  counts: { warmup: number; requests: number },
  latencies: number[],
  seconds: number,
): Measurement {
  const sorted = latencies.sort((a, b) => a - b);
  return {
    name: scenario.name,
    clients: scenario.clients,
    warmup: counts.warmup,
    requests: counts.requests,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    min: round(sorted[0] ?? 0),
    max: round(sorted[sorted.length - 1] ?? 0),
    throughput: round(counts.requests / seconds),
  };
}

/** Nearest-rank percentile: always a latency that was actually observed. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}
