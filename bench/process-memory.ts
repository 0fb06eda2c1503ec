import { readFileSync, writeFileSync } from 'node:fs';
import type { LocalMemory } from '../functions/local/dev-routes';
import { expectOk, type JsonClient } from './http-client';

/**
 * Resident set now and at its highest, in bytes, as the kernel keeps them for a process (Linux /proc); now,
 * also its two kinds: anonymous (the heaps and buffers of the process's own) and file-backed (files mapped).
 */
export interface ResidentSet {
  rss: number;
  peakRss: number;
  anonymous: number;
  fileBacked: number;
}

export function residentSet(pid: number): ResidentSet {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const found = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!found) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(found[1]) * 1024;
  };
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM'), anonymous: kib('RssAnon'), fileBacked: kib('RssFile') };
}

/** How much of the process's resident set is files under `folder` that it maps (Linux /proc/{pid}/smaps), in bytes. */
export function mappedFromFolder(pid: number, folder: string): number {
  let total = 0;
  let inFolder = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    // A mapping's first line: address range, permissions, offset, device, inode, then the path if a file.
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) inFolder = (mapping[1] ?? '').startsWith(`${folder}/`);
    else if (inFolder) {
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss) total += Number(rss[1]) * 1024;
    }
  }
  return total;
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
  /**
   * The highest anonymous resident set among the samples: the process's own heaps and buffers, no file mapped.
   * This and `atHighestSample` are absent from results written before they were measured.
   */
  peakAnonymous?: number;
  /**
   * At the sample with the highest resident set: the part of it that is files mapped from the store's folder
   * (LevelDB, under dynalite, maps its table files and reads them there), and the whole resident set then.
   */
  atHighestSample?: { rss: number; storeFiles: number };
  samples: number;
  /**
   * Whether each heap reading followed a full GC (the server's node ran with `--expose-gc`): then the heaps are
   * what is live, garbage left out. Absent from results written before it was recorded.
   */
  collected?: boolean;
}

/**
 * Watches the local system's process while `work` runs: its heap through `GET /dev/memory` every `everyMs`
 * (without `--expose-gc` that runs no GC, so it does not slow the work down; with it, each reading is after a full
 * GC, which stops the process for a while), its resident set from the kernel,
 * and at each sample its anonymous part and, when it is the highest yet, the part that is the store's files
 * mapped from `storeFolder`.
 */
export async function watchMemory<T>(
  { api, pid, storeFolder, everyMs }: { api: JsonClient; pid: number; storeFolder: string; everyMs: number },
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
  let peakAnonymous = 0;
  let atHighestSample = { rss: 0, storeFiles: 0 };
  const sampleResidentSet = () => {
    const now = residentSet(pid);
    peakAnonymous = Math.max(peakAnonymous, now.anonymous);
    if (now.rss > atHighestSample.rss) {
      atHighestSample = { rss: now.rss, storeFiles: mappedFromFolder(pid, storeFolder) };
    }
  };
  sampleResidentSet();
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      peakHeapUsed = Math.max(peakHeapUsed, (await read()).heapUsed);
      sampleResidentSet();
      samples++;
    }
  })();
  try {
    const result = await work();
    sampleResidentSet();
    return {
      result,
      memory: {
        before: { rss: first.rss, heapUsed: first.heapUsed },
        peakRss: residentSet(pid).peakRss,
        peakHeapUsed,
        peakAnonymous,
        atHighestSample,
        samples,
        collected: first.collected,
      },
    };
  } finally {
    sampling = false;
    await sampler;
  }
}
