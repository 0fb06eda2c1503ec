import type { LocalMemory } from '../functions/local/dev-routes';
import { closeTickets, Flow } from './lifecycle';
import type { WithLocalSystem } from './local-system';
import type { Progress } from './progress';
import type { RunStamp } from './report';

/**
 * Tickets closed before the first reading, so the JIT, caches and connection pools have reached their size;
 * then `tickets` more in `batches`, with a reading after each. Besides any trend, readings wander by some
 * 100 KB (compiled code comes and goes), so 2,000 tickets resolve the per-execution figure to about 0.05 KB.
 *
 * Heap snapshots 1,000 tickets apart (2026-12-03) showed no JavaScript object left behind per ticket (about
 * 7 bytes per execution of objects, strings and closures): what grew was V8's compiled code and its lists of
 * code dependent on object layouts, still being optimised well after 1,000 tickets, and compiled afresh when
 * the reconcile schedule first ran (5 minutes in). With the optimising compilers off, the heap stayed flat
 * (6 bytes per execution). So the warm-up is 2,000 tickets and runs the reconcile schedule once.
 */
export const MEMORY = { warmupTickets: 2_000, tickets: 2_000, batches: 4, pipelines: 4 };
/** Issue 10: the heap after a forced GC grows by under 0.2 KB per finished execution (1 KB = 1,000 bytes). */
export const MEMORY_TARGET_BYTES = 200;
/**
 * Readings per point, each after its own GC: the first one after a batch is some 300 KB higher than those that
 * follow, which agree (code the JIT no longer needs goes only after a few collections).
 */
const READINGS = 3;

export interface MemoryReading {
  /** Executions started since the local system did, all of them finished by the reading. */
  executions: number;
  /** The server's V8 heap in use after a full GC, and its resident set, in bytes. */
  heapUsed: number;
  rss: number;
  /** DynamoDB Query requests since start-up: growth that follows them is the store's, not the executions'. */
  queries: number;
}

export interface MemoryResult extends RunStamp {
  warmupTickets: number;
  tickets: number;
  pipelines: number;
  /** After the warm-up, then after each batch. */
  readings: MemoryReading[];
  /** Heap growth from the first reading to the last, over the executions that finished in between. */
  bytesPerExecution: number;
  pass: boolean;
}

/**
 * Closes tickets on a local system whose node runs with `--expose-gc` and reads `GET /dev/memory` there: the
 * heap of the server process (which holds the store, Step Functions, SES and the handlers alike) after a full
 * GC, with no execution running, so what grows is what finished tickets leave behind.
 */
export async function measureMemory(
  withLocalSystem: WithLocalSystem,
  stamp: RunStamp,
  progress: Progress,
): Promise<MemoryResult> {
  const { warmupTickets, tickets, batches, pipelines } = MEMORY;
  return withLocalSystem(
    async ({ url, pid }) => {
      const flow = await Flow.open(url, pipelines);
      try {
        const closeBatch = async (count: number, phase: string) => {
          let closed = 0;
          await closeTickets(flow, count, pipelines, () => {
            progress.update('memory', ++closed, count, phase);
          });
          await flow.noneRunning();
        };
        await closeBatch(warmupTickets, 'warm-up tickets closed');
        // Its code is compiled during the warm-up, not in the middle of a measured batch.
        await flow.runSchedule('reconcile');
        const readings = [await read(flow, pid)];
        for (let batch = 1; batch <= batches; batch++) {
          await closeBatch(tickets / batches, `batch ${batch} of ${batches}, tickets closed`);
          readings.push(await read(flow, pid));
        }
        progress.finish(`memory: ${warmupTickets} tickets to warm up, then ${tickets} measured`);
        const first = readings[0] as MemoryReading;
        const last = readings.at(-1) as MemoryReading;
        const bytesPerExecution = Math.round(
          (last.heapUsed - first.heapUsed) / (last.executions - first.executions),
        );
        return {
          ...stamp,
          warmupTickets,
          tickets,
          pipelines,
          readings,
          bytesPerExecution,
          pass: bytesPerExecution < MEMORY_TARGET_BYTES,
        };
      } finally {
        flow.close();
      }
    },
    { nodeFlags: ['--expose-gc'] },
  );
}

/** The lowest of a few readings, each checked to come from the server's process after a full GC. */
async function read(flow: Flow, serverPid: number): Promise<MemoryReading> {
  const readings: LocalMemory[] = [];
  for (let n = 0; n < READINGS; n++) {
    const memory = await flow.memory();
    if (!memory.collected) throw new Error('GET /dev/memory ran no GC: the server lacks --expose-gc');
    if (memory.pid !== serverPid) {
      throw new Error(`GET /dev/memory measured process ${memory.pid}, not the server's (${serverPid})`);
    }
    readings.push(memory);
  }
  const lowest = readings.reduce((low, memory) => (memory.heapUsed < low.heapUsed ? memory : low));
  const metrics = await flow.metrics();
  return {
    executions: metrics.stepfunctions.executionsStarted,
    heapUsed: lowest.heapUsed,
    rss: lowest.rss,
    queries: metrics.dynamodb.Query ?? 0,
  };
}
