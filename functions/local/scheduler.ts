import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Cadence, cadenceOf, type Schedule } from '../schedules';
import { sleepUntil } from './timers';

type Job = (event: unknown) => Promise<unknown>;

/** Time as the scheduler sees it; tests give it a clock of their own. */
export interface SchedulerClock {
  now(): number;
  /** Resolves at `deadline` (epoch ms) or when `signal` aborts; never fires early on long waits. */
  sleepUntil(deadline: number, signal: AbortSignal): Promise<void>;
}

const systemClock: SchedulerClock = { now: () => Date.now(), sleepUntil };

/** What `<dataDir>/scheduler.json` keeps per schedule. */
interface StoredSchedule {
  /** The schedule it was kept for: another expression or time zone starts afresh. */
  expression: string;
  timeZone: string | null;
  /** Every fire time up to here is accounted for (run, or before the schedule first started). */
  doneUntil: string;
  lastRun: string | null;
}

interface ScheduleState {
  schedule: Schedule;
  cadence: Cadence;
  job: Job;
  stored: StoredSchedule;
  nextRun: number | null;
  lastResult: unknown;
  running: Promise<unknown> | null;
}

/** The least time between two runs of a scaled `rate()`, as before the scheduler kept its state. */
const MIN_RATE_MS = 1000;

/**
 * Runs the schedule list locally, as EventBridge Scheduler would: `rate()` every period (shortened by
 * the time scale), `cron()` at its times in its time zone (never scaled), each schedule never
 * overlapping itself. Each schedule's progress is kept in `stateFile`, written after each run, so a
 * restart neither skips nor repeats a run: runs that fell due while the process was down run once
 * at start, and a run that finished does not run again. A run that a crash broke off runs again.
 * A schedule's first start runs nothing: its first run is one period (or the next cron time) later.
 */
export async function startScheduler(options: {
  schedules: { schedule: Schedule; job: Job }[];
  timeScale: number;
  stateFile: string;
  log: (line: string) => void;
  clock?: SchedulerClock;
}) {
  const clock = options.clock ?? systemClock;
  const stored = await readStates(options.stateFile);
  const states = new Map<string, ScheduleState>();
  for (const { schedule, job } of options.schedules) {
    const kept = stored[schedule.name];
    const timeZone = schedule.timeZone ?? null;
    states.set(schedule.name, {
      schedule,
      cadence: cadenceOf(schedule),
      job,
      stored:
        kept && kept.expression === schedule.expression && kept.timeZone === timeZone
          ? kept
          : {
              expression: schedule.expression,
              timeZone,
              doneUntil: new Date(clock.now()).toISOString(),
              lastRun: kept?.lastRun ?? null,
            },
      nextRun: null,
      lastResult: null,
      running: null,
    });
  }
  let writing = Promise.resolve();
  const persist = () => {
    const snapshot = Object.fromEntries([...states].map(([name, state]) => [name, state.stored]));
    const write = () => writeStates(options.stateFile, snapshot);
    writing = writing.then(write, write);
    return writing;
  };
  await persist();

  const nextAfter = (state: ScheduleState, instant: number): number | null => {
    if (state.cadence.kind === 'rate') {
      return instant + Math.max(MIN_RATE_MS, state.cadence.seconds * 1000 * options.timeScale);
    }
    return state.cadence.cron.nextAfter(new Date(instant))?.getTime() ?? null;
  };

  const run = (state: ScheduleState): Promise<unknown> => {
    state.running ??= state
      .job({ source: 'tollgate.local-scheduler', schedule: state.schedule.name })
      .then((result) => {
        state.lastResult = result;
        return result;
      })
      .catch((error: unknown) => {
        options.log(`schedule ${state.schedule.name} failed: ${(error as Error).message}`);
        state.lastResult = { error: (error as Error).message };
        throw error;
      })
      .finally(() => {
        state.stored.lastRun = new Date(clock.now()).toISOString();
        state.running = null;
      });
    return state.running;
  };

  const stopping = new AbortController();
  const drive = async (state: ScheduleState): Promise<void> => {
    while (!stopping.signal.aborted) {
      state.nextRun = nextAfter(state, Date.parse(state.stored.doneUntil));
      if (state.nextRun === null) {
        options.log(`schedule ${state.schedule.name}: ${state.schedule.expression} fires no more`);
        return;
      }
      await clock.sleepUntil(state.nextRun, stopping.signal);
      if (stopping.signal.aborted) return;
      // Every fire time until now is covered by this one run, however many passed while the process was down.
      const covers = Math.max(state.nextRun, clock.now());
      await run(state).catch(() => undefined);
      state.stored.doneUntil = new Date(covers).toISOString();
      await persist();
    }
  };
  const driving = [...states.values()].map((state) =>
    drive(state).catch((error: unknown) =>
      options.log(`schedule ${state.schedule.name} stopped: ${(error as Error).stack ?? error}`),
    ),
  );

  return {
    list: () =>
      [...states.values()].map(({ schedule, stored, nextRun, lastResult }) => ({
        ...schedule,
        lastRun: stored.lastRun,
        nextRun: nextRun === null ? null : new Date(nextRun).toISOString(),
        lastResult,
      })),
    /** Runs one schedule now, outside its times (which stay as they are), and answers its result; undefined for an unknown name. */
    runNow: async (name: string) => {
      const state = states.get(name);
      return state ? { result: await run(state) } : undefined;
    },
    /** Stops waking schedules; a run in progress finishes and is recorded first. */
    stop: async () => {
      stopping.abort();
      await Promise.all(driving);
      await writing;
    },
  };
}

export type LocalScheduler = Awaited<ReturnType<typeof startScheduler>>;

async function readStates(file: string): Promise<Record<string, StoredSchedule>> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { schedules: Record<string, StoredSchedule> })
      .schedules;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(
      `${file} cannot be read (${(error as Error).message}): delete it to start the schedules afresh`,
    );
  }
}

/** Replaced atomically (temporary file, rename), as the execution checkpoints are. */
async function writeStates(file: string, schedules: Record<string, StoredSchedule>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify({ schedules }, null, 2));
  await rename(temporary, file);
}
