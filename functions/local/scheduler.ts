import { rateSeconds, type Schedule } from '../schedules';

type Job = (event: unknown) => Promise<unknown>;

interface ScheduleState {
  schedule: Schedule;
  job: Job;
  timer: NodeJS.Timeout;
  lastRun: string | null;
  lastResult: unknown;
  running: Promise<unknown> | null;
}

/** Runs the schedule list locally: each handler on its rate, shortened by the time scale, never overlapping itself. */
export function startScheduler(options: {
  schedules: { schedule: Schedule; job: Job }[];
  timeScale: number;
  log: (line: string) => void;
}) {
  const states = new Map<string, ScheduleState>();
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
        state.lastRun = new Date().toISOString();
        state.running = null;
      });
    return state.running;
  };
  for (const { schedule, job } of options.schedules) {
    const everyMs = Math.max(1000, rateSeconds(schedule.expression) * 1000 * options.timeScale);
    const state: ScheduleState = {
      schedule,
      job,
      lastRun: null,
      lastResult: null,
      running: null,
      timer: setInterval(() => run(state).catch(() => undefined), everyMs),
    };
    state.timer.unref();
    states.set(schedule.name, state);
  }
  return {
    list: () =>
      [...states.values()].map(({ schedule, lastRun, lastResult }) => ({ ...schedule, lastRun, lastResult })),
    /** Runs one schedule now and answers its result; undefined for an unknown name. */
    runNow: async (name: string) => {
      const state = states.get(name);
      return state ? { result: await run(state) } : undefined;
    },
    stop: () => {
      for (const state of states.values()) clearInterval(state.timer);
    },
  };
}

export type LocalScheduler = ReturnType<typeof startScheduler>;
