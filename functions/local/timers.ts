// setTimeout overflows past 2^31-1 ms (~24.8 days) and then fires after 1 ms, so long deadlines are re-armed in chunks.
const MAX_TIMER_MS = 2_147_483_647;

/** Resolves at `deadline` (epoch ms) or as soon as `signal` aborts; callers check `signal.aborted` to tell which. */
export function sleepUntil(deadline: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const arm = () => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        signal.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
    };
    if (signal.aborted) {
      resolve();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    arm();
  });
}
