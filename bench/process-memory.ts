import { readFileSync, writeFileSync } from 'node:fs';
import type { LocalMemory } from '../functions/local/dev-routes';
import { expectOk, type JsonClient } from './http-client';

/** Resident set now and at its highest, in bytes, as the kernel keeps them for a process (Linux /proc). */
export interface ResidentSet {
  rss: number;
  peakRss: number;
}

export function residentSet(pid: number): ResidentSet {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const found = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!found) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(found[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

/** Sets the process's peak resident set back to its resident set now, so the next peak is the next work's. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export interface MemoryPeak {
  /** Before the work: the resident set, and V8's heap in use (garbage not yet collected included). */
  before: { rss: number; heapUsed: number };
  /** The kernel's peak resident set over the work (VmHWM, reset as it began): no sample can miss it. */
  peakRss: number;
  /** The highest heap in use among the samples. */
  peakHeapUsed: number;
  samples: number;
}

/**
 * Watches the local system's process while `work` runs: its heap through `GET /dev/memory` every `everyMs`
 * (without `--expose-gc` that runs no GC, so it does not slow the work down), its resident set from the kernel.
 */
export async function watchMemory<T>(
  api: JsonClient,
  pid: number,
  everyMs: number,
  work: () => Promise<T>,
): Promise<{ result: T; memory: MemoryPeak }> {
  const read = async () => {
    const memory = (await expectOk(api.get('/dev/memory'), 'GET /dev/memory')) as LocalMemory;
    if (memory.pid !== pid) throw new Error(`GET /dev/memory measured process ${memory.pid}, not ${pid}`);
    return memory;
  };
  const first = await read();
  resetPeakRss(pid);
  let peakHeapUsed = first.heapUsed;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      peakHeapUsed = Math.max(peakHeapUsed, (await read()).heapUsed);
      samples++;
    }
  })();
  try {
    const result = await work();
    return {
      result,
      memory: {
        before: { rss: first.rss, heapUsed: first.heapUsed },
        peakRss: residentSet(pid).peakRss,
        peakHeapUsed,
        samples,
      },
    };
  } finally {
    sampling = false;
    await sampler;
  }
}
