/**
 * Progress on stdout: one line rewritten in place on a terminal; on a pipe or in CI, where carriage
 * returns pile up, a plain line every `PLAIN_EVERY` calls.
 */
const PLAIN_EVERY = 100;
/** Redraws are throttled: writing to the terminal on every call would take CPU from what is measured. */
const REDRAW_MS = 100;

export class Progress {
  private readonly tty = process.stdout.isTTY === true;
  private lineOpen = false;
  private lastRedraw = 0;

  update(name: string, done: number, total: number, phase: string): void {
    const text = `${name}  ${phase}  ${done}/${total}`;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastRedraw < REDRAW_MS && done < total) return;
      this.lastRedraw = now;
      process.stdout.write(`\r\x1b[2K${text}`);
      this.lineOpen = true;
    } else if (done % PLAIN_EVERY === 0) {
      console.log(text);
    }
  }

  /** Ends the scenario's progress with a lasting line. */
  finish(text: string): void {
    this.clear();
    console.log(text);
  }

  /** Clears the in-place line so other output starts on a clean line. */
  clear(): void {
    if (this.lineOpen) process.stdout.write('\r\x1b[2K');
    this.lineOpen = false;
  }
}
