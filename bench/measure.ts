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
