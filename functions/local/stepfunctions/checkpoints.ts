import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEvent } from './history';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type TaskAnswer = { output: Json } | { error: string; cause: string };

/** A `.waitForTaskToken` task waiting for SendTaskSuccess/SendTaskFailure. */
export interface WaitCheckpoint {
  token: string;
  state: string;
  /** Absolute (epoch ms), fixed when the state was entered, so a restart never extends it; null: no deadline. */
  deadline: number | null;
  /** The Lambda that hands the token out has returned: a resumed wait does not call it again. */
  notified: boolean;
  /** Persisted before the sender is acknowledged, so an answer survives a crash before the task moves on. */
  answer?: TaskAnswer;
  timedOut?: boolean;
}

/** Why a token no longer has a waiting task. */
export type ClosedToken = 'answered' | 'timedOut' | 'abandoned';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  /**
   * SHA-256 of the definition the execution started with (see DefinitionVersions), which it keeps
   * until it ends. Absent in checkpoints written before definitions were kept: those resume on the
   * current definition.
   */
  definitionHash?: string;
  name: string;
  /** The execution input exactly as given to StartExecution. */
  input: string;
  status: ExecutionStatus;
  startDate: number;
  /** Execution-level deadline from the definition's TimeoutSeconds (epoch ms). */
  deadline: number | null;
  /** The last top-level state entered and its input: where a restart resumes. */
  current: { state: string; input: Json };
  waits: WaitCheckpoint[];
  closedTokens: Record<string, ClosedToken>;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** What GetExecutionHistory answers, oldest first, at most MAX_HISTORY_EVENTS (absent in older checkpoints). */
  history?: HistoryEvent[];
  /** The id of the last event, which keeps counting when the oldest events are dropped. */
  lastEventId?: number;
}

/**
 * One JSON file per execution under `dir`, replaced atomically (write to a temporary file, rename).
 * No fsync: what a killed process wrote is in the page cache and survives it; surviving a power
 * cut is AWS's job in production, not the local runtime's, and an fsync per step was the largest
 * cost of a workflow step here.
 */
export class CheckpointStore {
  private readonly writes = new Map<string, Promise<void>>();
  private tmpCounter = 0;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<{ store: CheckpointStore; records: ExecutionRecord[] }> {
    await mkdir(dir, { recursive: true });
    const records: ExecutionRecord[] = [];
    for (const file of await readdir(dir)) {
      if (file.endsWith('.tmp')) {
        // A write that a kill interrupted before its rename: the previous version is still in place.
        await rm(join(dir, file), { force: true });
      } else if (file.endsWith('.json')) {
        records.push(JSON.parse(await readFile(join(dir, file), 'utf8')) as ExecutionRecord);
      }
    }
    return { store: new CheckpointStore(dir), records };
  }

  /**
   * Writes the record as it is when the write starts. Writes of one record are queued, so once the returned
   * promise resolves the file holds the record as of this call or later.
   */
  save(record: ExecutionRecord): Promise<void> {
    const previous = this.writes.get(record.executionArn) ?? Promise.resolve();
    const write = () => this.write(record);
    const next = previous.then(write, write);
    this.writes.set(record.executionArn, next);
    const forget = () => {
      if (this.writes.get(record.executionArn) === next) this.writes.delete(record.executionArn);
    };
    next.then(forget, forget);
    return next;
  }

  /** Resolves once every queued write has landed (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }

  private async write(record: ExecutionRecord): Promise<void> {
    const file = join(this.dir, `${createHash('sha256').update(record.executionArn).digest('hex')}.json`);
    const tmp = `${file}.${process.pid}.${this.tmpCounter++}.tmp`;
    await writeFile(tmp, JSON.stringify(record));
    await rename(tmp, file);
  }
}
